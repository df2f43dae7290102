package gormstore

// eventChainMigration adds the hash chain of the provisioning log and its
// append-only guard.
//
// Events are inserted unsealed (chain_seq NULL, chain_hash empty). The sealer
// later gives each one its organisation's next sequence number and chain
// hash, in one UPDATE that changes nothing else; that is the only UPDATE the
// triggers let through. An INSERT of an already sealed event is refused, so
// an event cannot enter the chain except through the sealer.
//
// DELETE is refused unless the event is sealed and covered by its
// organisation's retention checkpoint: retention first records, in
// provisioning_chain_checkpoints, the sequence number and hash of the last
// event it removes, then deletes the events up to it, in one transaction.
// Verification starts from that checkpoint, so removing old events by
// retention keeps the rest verifiable, while a DELETE that is not behind a
// checkpoint is refused, and one made with the triggers disabled shows as a
// gap in the chain. Checkpoints only move forward and are never deleted.
//
// These guards stop the application and anyone using it by mistake; a
// database superuser can still disable triggers, which the hash chain then
// reveals.
//
// On SQLite the UPDATE guard lists the event columns it protects; the
// columns of migration 3 joined the list in migration 5 (Postgres compares
// whole rows and needs nothing). A migration that adds a column to
// provisioning_events must recreate the SQLite guard with it.
var eventChainMigration = migration{
	version: 4,
	name:    "provisioning event hash chain and append-only guard",
	postgres: []string{
		`ALTER TABLE provisioning_events ADD COLUMN chain_seq BIGINT`,
		`ALTER TABLE provisioning_events ADD COLUMN chain_hash TEXT COLLATE "C" NOT NULL DEFAULT ''`,
		`CREATE UNIQUE INDEX provisioning_events_chain_idx
				ON provisioning_events (organization_id, chain_seq) WHERE chain_seq IS NOT NULL`,
		`CREATE INDEX provisioning_events_unsealed_idx
				ON provisioning_events (occurred_at, id) WHERE chain_seq IS NULL`,
		`CREATE TABLE provisioning_chain_checkpoints (
				organization_id TEXT COLLATE "C" PRIMARY KEY,
				chain_seq BIGINT NOT NULL,
				chain_hash TEXT COLLATE "C" NOT NULL,
				updated_at TIMESTAMPTZ NOT NULL
			)`,
		`CREATE FUNCTION provisioning_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP = 'INSERT' THEN
					IF NEW.chain_seq IS NOT NULL OR NEW.chain_hash <> '' THEN
						RAISE EXCEPTION 'provisioning events are inserted unsealed; only the sealer links them';
					END IF;
					RETURN NEW;
				ELSIF TG_OP = 'UPDATE' THEN
					IF OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash <> ''
						AND (to_jsonb(NEW) - 'chain_seq' - 'chain_hash')
							= (to_jsonb(OLD) - 'chain_seq' - 'chain_hash') THEN
						RETURN NEW;
					END IF;
					RAISE EXCEPTION 'provisioning events are append-only: an event cannot be changed';
				ELSE
					IF OLD.chain_seq IS NOT NULL AND EXISTS (
						SELECT 1 FROM provisioning_chain_checkpoints c
						WHERE c.organization_id = OLD.organization_id AND c.chain_seq >= OLD.chain_seq
					) THEN
						RETURN OLD;
					END IF;
					RAISE EXCEPTION 'provisioning events are append-only: only retention deletes them';
				END IF;
			END $$`,
		`CREATE TRIGGER provisioning_events_append_only
				BEFORE INSERT OR UPDATE OR DELETE ON provisioning_events
				FOR EACH ROW EXECUTE FUNCTION provisioning_events_guard()`,
		`CREATE FUNCTION provisioning_events_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				RAISE EXCEPTION 'provisioning events are append-only: % is refused', TG_OP;
			END $$`,
		`CREATE TRIGGER provisioning_events_no_truncate
				BEFORE TRUNCATE ON provisioning_events
				FOR EACH STATEMENT EXECUTE FUNCTION provisioning_events_refuse()`,
		`CREATE FUNCTION provisioning_chain_checkpoints_guard() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP = 'UPDATE' AND NEW.chain_seq >= OLD.chain_seq
					AND NEW.organization_id = OLD.organization_id THEN
					RETURN NEW;
				END IF;
				RAISE EXCEPTION 'retention checkpoints only move forward';
			END $$`,
		`CREATE TRIGGER provisioning_chain_checkpoints_forward
				BEFORE UPDATE OR DELETE ON provisioning_chain_checkpoints
				FOR EACH ROW EXECUTE FUNCTION provisioning_chain_checkpoints_guard()`,
	},
	sqlite: []string{
		`ALTER TABLE provisioning_events ADD COLUMN chain_seq INTEGER`,
		`ALTER TABLE provisioning_events ADD COLUMN chain_hash TEXT NOT NULL DEFAULT ''`,
		`CREATE UNIQUE INDEX provisioning_events_chain_idx
				ON provisioning_events (organization_id, chain_seq) WHERE chain_seq IS NOT NULL`,
		`CREATE INDEX provisioning_events_unsealed_idx
				ON provisioning_events (occurred_at, id) WHERE chain_seq IS NULL`,
		`CREATE TABLE provisioning_chain_checkpoints (
				organization_id TEXT PRIMARY KEY,
				chain_seq INTEGER NOT NULL,
				chain_hash TEXT NOT NULL,
				updated_at DATETIME NOT NULL
			)`,
		`CREATE TRIGGER provisioning_events_insert_unsealed
				BEFORE INSERT ON provisioning_events
				WHEN NEW.chain_seq IS NOT NULL OR NEW.chain_hash <> ''
				BEGIN
					SELECT RAISE(ABORT, 'provisioning events are inserted unsealed; only the sealer links them');
				END`,
		`CREATE TRIGGER provisioning_events_append_only_update
				BEFORE UPDATE ON provisioning_events
				WHEN NOT (OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash <> ''
					AND NEW.id IS OLD.id AND NEW.organization_id IS OLD.organization_id
					AND NEW.client_id IS OLD.client_id AND NEW.operation IS OLD.operation
					AND NEW.outcome IS OLD.outcome AND NEW.member_id IS OLD.member_id
					AND NEW.group_id IS OLD.group_id AND NEW.actor IS OLD.actor
					AND NEW.request_id IS OLD.request_id
					AND NEW.changed_attributes IS OLD.changed_attributes
					AND NEW.error_code IS OLD.error_code AND NEW.error_detail IS OLD.error_detail
					AND NEW.occurred_at IS OLD.occurred_at)
				BEGIN
					SELECT RAISE(ABORT, 'provisioning events are append-only: an event cannot be changed');
				END`,
		`CREATE TRIGGER provisioning_events_append_only_delete
				BEFORE DELETE ON provisioning_events
				WHEN OLD.chain_seq IS NULL OR NOT EXISTS (
					SELECT 1 FROM provisioning_chain_checkpoints c
					WHERE c.organization_id = OLD.organization_id AND c.chain_seq >= OLD.chain_seq)
				BEGIN
					SELECT RAISE(ABORT, 'provisioning events are append-only: only retention deletes them');
				END`,
		`CREATE TRIGGER provisioning_chain_checkpoints_forward
				BEFORE UPDATE ON provisioning_chain_checkpoints
				WHEN NEW.chain_seq < OLD.chain_seq OR NEW.organization_id IS NOT OLD.organization_id
				BEGIN
					SELECT RAISE(ABORT, 'retention checkpoints only move forward');
				END`,
		`CREATE TRIGGER provisioning_chain_checkpoints_kept
				BEFORE DELETE ON provisioning_chain_checkpoints
				BEGIN
					SELECT RAISE(ABORT, 'retention checkpoints only move forward');
				END`,
	},
}

// eventSourceGuardMigration makes the SQLite append-only guard protect the
// identity_provider and compatibility_rules columns too, now that the chain
// hash covers them (chain format v2). Postgres's guard compares whole rows
// and already protects them.
var eventSourceGuardMigration = migration{
	version:  5,
	name:     "append-only guard of the identity provider and compatibility rules",
	postgres: []string{},
	sqlite: []string{
		`DROP TRIGGER provisioning_events_append_only_update`,
		`CREATE TRIGGER provisioning_events_append_only_update
				BEFORE UPDATE ON provisioning_events
				WHEN NOT (OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash <> ''
					AND NEW.id IS OLD.id AND NEW.organization_id IS OLD.organization_id
					AND NEW.client_id IS OLD.client_id AND NEW.operation IS OLD.operation
					AND NEW.outcome IS OLD.outcome AND NEW.member_id IS OLD.member_id
					AND NEW.group_id IS OLD.group_id AND NEW.actor IS OLD.actor
					AND NEW.request_id IS OLD.request_id
					AND NEW.changed_attributes IS OLD.changed_attributes
					AND NEW.error_code IS OLD.error_code AND NEW.error_detail IS OLD.error_detail
					AND NEW.occurred_at IS OLD.occurred_at
					AND NEW.identity_provider IS OLD.identity_provider
					AND NEW.compatibility_rules IS OLD.compatibility_rules)
				BEGIN
					SELECT RAISE(ABORT, 'provisioning events are append-only: an event cannot be changed');
				END`,
	},
}
