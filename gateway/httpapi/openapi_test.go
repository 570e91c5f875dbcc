package httpapi_test

import (
	"os"
	"testing"
)

func TestDumpResp(t *testing.T) {
	srv := newTestServer(t)
	out := ""
	add := func(name string, code int, body string) {
		out += "=== " + name + " " + string(rune('0'+code/100)) + "\n" + body + "\n"
	}
	w := srv.post("/v1/filings?dryRun=true", fixture(t, "clean-m1-kz"))
	add("dry", w.Code, w.Body.String())
	w = srv.post("/v1/filings", fixture(t, "clean-m1-kz"))
	add("create", w.Code, w.Body.String())
	w = srv.do("GET", "/v1/vins/LSJA24U62JG269225?registrationDate=2022-05-01", nil)
	add("vin", w.Code, w.Body.String())
	w = srv.do("GET", "/v1/vins/lsja24u62jg26922O", nil)
	add("vinbad", w.Code, w.Body.String())
	w = srv.do("GET", "/v1/usccs/91440300192317458F", nil)
	add("uscc", w.Code, w.Body.String())
	w = srv.do("GET", "/v1/filings/Fnope", nil)
	add("nf", w.Code, w.Body.String())
	w = srv.post("/v1/filings", []byte(`{"applicationDate":1}`))
	add("tm", w.Code, w.Body.String())
	w = srv.post("/v1/filings", []byte(`{"applicationDate":"2026-01-01"}`))
	add("schema", w.Code, w.Body.String())
	w = srv.post("/v1/filing-batches?dryRun=true", []byte(`{"filings":[{"x":1}]}`))
	add("batch", w.Code, w.Body.String())
	w = srv.do("GET", "/v1/rulesets", nil)
	add("rs", w.Code, w.Body.String()[:1500])
	os.WriteFile("/tmp/resp.txt", []byte(out), 0o644)
}
