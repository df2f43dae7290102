package logging_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/craevidence/scim-provisioning/pkg/logging"
)

func TestNewWritesJSONWithTheServiceName(t *testing.T) {
	var out bytes.Buffer
	logger, err := logging.New(&out, logging.Options{Format: "json", Level: "info", Service: "core"})
	if err != nil {
		t.Fatal(err)
	}

	logger.Debug("hidden")
	logger.Info("scim client created", "client_id", "c-1")

	var record map[string]any
	if err := json.Unmarshal(out.Bytes(), &record); err != nil {
		t.Fatalf("want exactly one JSON record, got %q: %v", out.String(), err)
	}
	if record["service"] != "core" || record["client_id"] != "c-1" {
		t.Errorf("record = %v", record)
	}
}

func TestNewRefusesUnknownSettings(t *testing.T) {
	if _, err := logging.New(&bytes.Buffer{}, logging.Options{Format: "xml", Level: "info"}); err == nil {
		t.Error("an unknown format was accepted")
	}
	if _, err := logging.New(&bytes.Buffer{}, logging.Options{Format: "text", Level: "loud"}); err == nil {
		t.Error("an unknown level was accepted")
	}
}
