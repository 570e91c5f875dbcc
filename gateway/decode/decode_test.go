package decode_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/decode"
)

type doc struct {
	A int `json:"a"`
	B struct {
		C string `json:"c"`
	} `json:"b"`
	L []int `json:"l"`
}

func TestStrict(t *testing.T) {
	cases := []struct {
		name, in, code, pointer string
	}{
		{"ok", `{"a": 1, "b": {"c": "x"}, "l": [1, 2]}`, "", ""},
		{"unknown member names its pointer", `{"b": {"d": 1}}`, gateway.EUNKNOWNFIELD, "/b/d"},
		{"trailing value", `{"a": 1} {}`, gateway.ETRAILINGDATA, ""},
		{"trailing garbage", `{"a": 1} x`, gateway.ETRAILINGDATA, ""},
		{"duplicate member", `{"a": 1, "a": 2}`, gateway.EINVALIDJSON, "/a"},
		{"wrong type", `{"a": "x"}`, gateway.ETYPEMISMATCH, "/a"},
		{"fraction into integer", `{"a": 1.5}`, gateway.ETYPEMISMATCH, "/a"},
		{"number out of range", `{"a": 1e400}`, gateway.ETYPEMISMATCH, "/a"},
		{"array element type", `{"l": [1, "2"]}`, gateway.ETYPEMISMATCH, "/l/1"},
		{"truncated", `{"a":`, gateway.EINVALIDJSON, "/a"},
		{"empty", ``, gateway.EINVALIDJSON, ""},
		{"trailing comma", `{"a": 1,}`, gateway.EINVALIDJSON, ""},
		{"invalid UTF-8", "{\"b\": {\"c\": \"\xff\"}}", gateway.EINVALIDJSON, "/b/c"},
		{"not an object", `[1]`, gateway.ETYPEMISMATCH, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := decode.Strict([]byte(tc.in), &d)
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.code, gateway.ErrorCode(err))
			en, zh := gateway.ErrorMessages(err)
			assert.NotEmpty(t, en)
			assert.NotEmpty(t, zh)
			details := gateway.ErrorDetails(err)
			require.Len(t, details, 1)
			assert.Equal(t, tc.pointer, details[0].Pointer)
		})
	}
}

func TestValue(t *testing.T) {
	v, err := decode.Value([]byte(`{"a": [1, "x", true, null]}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"a": []any{1.0, "x", true, nil}}, v)
	_, err = decode.Value([]byte(`{"a": 1, "a": 1}`))
	assert.Equal(t, gateway.EINVALIDJSON, gateway.ErrorCode(err))
}

// FuzzStrict: any input either decodes or yields one coded error with both messages; the
// generic and the typed decoders agree on well-formedness.
func FuzzStrict(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"b":{"c":"x"}}`, `{"a":1}{}`, `{"a":1,"a":2}`, `[`, `{"l":[1,2,3]}`, "\xff", `{"a":-0}`, `{"a":1e9999}`} {
		f.Add([]byte(s))
	}
	known := map[string]bool{gateway.EINVALIDJSON: true, gateway.EUNKNOWNFIELD: true, gateway.ETYPEMISMATCH: true, gateway.ETRAILINGDATA: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		err := decode.Strict(data, &d)
		_, verr := decode.Value(data)
		if err != nil {
			code := gateway.ErrorCode(err)
			if !known[code] {
				t.Fatalf("unexpected code %s for %q: %v", code, data, err)
			}
			en, zh := gateway.ErrorMessages(err)
			if en == "" || zh == "" {
				t.Fatalf("missing message for %q", data)
			}
			if code == gateway.EINVALIDJSON || code == gateway.ETRAILINGDATA {
				if verr == nil {
					t.Fatalf("typed decoder rejects %q as malformed, generic accepts it", data)
				}
			}
			return
		}
		if verr != nil {
			t.Fatalf("typed decoder accepts %q, generic rejects it: %v", data, verr)
		}
	})
}
