package grpcserver

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
)

// exportPageTimeout is how long the export may take to fetch and send one
// page. The server's write timeout is short, for ordinary answers; the
// export moves its deadlines forward page by page instead, so a log of any
// size streams while a client that stops reading is still cut off.
const exportPageTimeout = time.Minute

// exportColumns are the CSV columns, named as the REST API names the fields.
var exportColumns = []string{
	"id", "occurredAt", "organizationId", "clientId", "operation", "outcome",
	"memberId", "groupId", "actor", "requestId", "changedAttributes",
	"errorCode", "errorDetail", "identityProvider", "compatibilityRules", "chainHash",
}

// eventExport serves GET /v1/provisioning-events:export?format=jsonl|csv,
// with the filters of ListProvisioningEvents. It pages through
// AdminService.ListProvisioningEvents with the caller's Authorization
// header, so it is authorised exactly as the REST API is, and writes each
// page as it arrives: the whole log is never held in memory.
type eventExport struct {
	mux    *runtime.ServeMux
	client provisioningv1.AdminServiceClient
	logger *slog.Logger
}

func (e *eventExport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	format := query.Get("format")
	if format == "" {
		format = "jsonl"
	}
	if format != "jsonl" && format != "csv" {
		writeAdminError(e.mux, w, r, http.StatusBadRequest, status.New(codes.InvalidArgument,
			"the request is not valid: format is jsonl or csv"))
		return
	}
	var req provisioningv1.ListProvisioningEventsRequest
	err := runtime.PopulateQueryParameters(&req, query, utilities.NewDoubleArray(nil))
	if err != nil {
		writeAdminError(e.mux, w, r, http.StatusBadRequest, status.New(codes.InvalidArgument,
			"the request is not valid: "+invalidPart(err.Error())))
		return
	}
	req.PageSize, req.PageToken = app.MaxPageSize, ""

	ctx, err := runtime.AnnotateContext(r.Context(), e.mux, r,
		provisioningv1.AdminService_ListProvisioningEvents_FullMethodName,
		runtime.WithHTTPPathPattern("/v1/provisioning-events:export"))
	if err != nil {
		writeAdminError(e.mux, w, r, http.StatusBadRequest, status.New(codes.InvalidArgument,
			"the request is not valid: "+invalidPart(err.Error())))
		return
	}

	// The first page comes before the status line, so a refused or invalid
	// call is answered with its own status rather than an empty file.
	rc := http.NewResponseController(w)
	extendDeadlines(rc)
	page, err := e.client.ListProvisioningEvents(ctx, &req)
	if err != nil {
		s := status.Convert(err)
		writeAdminError(e.mux, w, r, runtime.HTTPStatusFromCode(s.Code()), s)
		return
	}

	name := "provisioning-events-" + time.Now().UTC().Format("20060102T150405Z") + "." + format
	h := w.Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
	w.WriteHeader(http.StatusOK)

	out := newExportWriter(format, w, e.mux, r)
	for {
		if err := out.writePage(page.GetEvents()); err != nil {
			// The client went away or stopped reading; nobody is left to tell.
			return
		}
		if page.GetNextPageToken() == "" {
			return
		}
		_ = rc.Flush()
		extendDeadlines(rc)

		req.PageToken = page.GetNextPageToken()
		if page, err = e.client.ListProvisioningEvents(ctx, &req); err != nil {
			if ctx.Err() != nil {
				return
			}
			e.logger.WarnContext(ctx, "provisioning log export failed half-way",
				"request_id", requestid.Sanitize(r.Header.Get(requestid.HeaderName)),
				"error", status.Convert(err).Message())
			// The status line is sent; aborting the connection is the one way
			// left to tell the client that the file is incomplete, instead of
			// letting it end as if it were whole.
			panic(http.ErrAbortHandler)
		}
	}
}

// extendDeadlines gives the next page exportPageTimeout to be read and
// written. Writers that cannot set deadlines (tests' recorders) are fine
// without.
func extendDeadlines(rc *http.ResponseController) {
	deadline := time.Now().Add(exportPageTimeout)
	_ = rc.SetWriteDeadline(deadline)
	_ = rc.SetReadDeadline(deadline)
}

// exportWriter writes pages of events in one format.
type exportWriter struct {
	writePage func(events []*provisioningv1.ProvisioningEvent) error
}

func newExportWriter(format string, w http.ResponseWriter, mux *runtime.ServeMux, r *http.Request) exportWriter {
	if format == "csv" {
		cw := csv.NewWriter(w)
		header := true
		return exportWriter{writePage: func(events []*provisioningv1.ProvisioningEvent) error {
			if header {
				header = false
				if err := cw.Write(exportColumns); err != nil {
					return err
				}
			}
			for _, ev := range events {
				if err := cw.Write(csvRecord(ev)); err != nil {
					return err
				}
			}
			cw.Flush()
			return cw.Error()
		}}
	}

	// JSON lines use the gateway's own marshaler, so each line has exactly
	// the fields and spelling of GET /v1/provisioning-events.
	_, marshaler := runtime.MarshalerForRequest(mux, r)
	bw := bufio.NewWriterSize(w, 64<<10)
	return exportWriter{writePage: func(events []*provisioningv1.ProvisioningEvent) error {
		for _, ev := range events {
			line, err := marshaler.Marshal(ev)
			if err != nil {
				return fmt.Errorf("encode event %s: %w", ev.GetId(), err)
			}
			if _, err := bw.Write(line); err != nil {
				return err
			}
			if err := bw.WriteByte('\n'); err != nil {
				return err
			}
		}
		return bw.Flush()
	}}
}

func csvRecord(ev *provisioningv1.ProvisioningEvent) []string {
	occurred := ""
	if ev.GetOccurredAt() != nil {
		occurred = ev.GetOccurredAt().AsTime().UTC().Format(time.RFC3339Nano)
	}
	record := []string{
		ev.GetId(), occurred, ev.GetOrganizationId(), ev.GetClientId(), ev.GetOperation(),
		ev.GetOutcome().String(), ev.GetMemberId(), ev.GetGroupId(), ev.GetActor(),
		ev.GetRequestId(), strings.Join(ev.GetChangedAttributes(), ";"),
		ev.GetErrorCode(), ev.GetErrorDetail(), ev.GetIdentityProvider(),
		strings.Join(ev.GetCompatibilityRules(), ";"), ev.GetChainHash(),
	}
	for i, cell := range record {
		record[i] = csvSafe(cell)
	}
	return record
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: an error
// detail or an id chosen by an identity provider could start with "=" or
// "@". Such cells get a leading single quote, which spreadsheets show as
// text.
func csvSafe(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
