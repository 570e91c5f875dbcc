// Package decode is the strict JSON decoder of request bodies: one value, no trailing data,
// no unknown or duplicate members, valid UTF-8, each failure a coded gateway.Error that names
// the JSON pointer (or byte offset) of the problem. It wraps github.com/go-json-experiment/json,
// the mirror of Go's encoding/json/v2, whose errors carry JSON pointers and byte offsets.
package decode

import (
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ucx-export/ucx/gateway"
)

var strict = json.JoinOptions(
	json.RejectUnknownMembers(true),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// Strict decodes data into v (a pointer), rejecting anything but one well-formed JSON value
// whose members v's type defines.
func Strict(data []byte, v any) error {
	return translate(json.Unmarshal(data, v, strict))
}

// Value decodes data into a generic value (map[string]any, []any, string, float64, bool, nil)
// with the same strictness, for JSON Schema validation.
func Value(data []byte) (any, error) {
	var v any
	if err := json.Unmarshal(data, &v, strict); err != nil {
		return nil, translate(err)
	}
	return v, nil
}

// translate maps the decoder's errors to coded gateway errors: the one place that knows them.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn):
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return detailed(gateway.EINVALIDJSON, string(syn.JSONPointer),
				"duplicate member %s at byte %d", "第 %[2]d 字节处字段 %[1]s 重复", string(syn.JSONPointer), syn.ByteOffset)
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			return detailed(gateway.EINVALIDJSON, string(syn.JSONPointer),
				"unexpected end of JSON at byte %d", "JSON 在第 %d 字节处意外结束", syn.ByteOffset)
		case isTrailing(syn):
			return detailed(gateway.ETRAILINGDATA, "",
				"unexpected data after the JSON value at byte %d", "JSON 值之后第 %d 字节处存在多余数据", syn.ByteOffset)
		default:
			return detailed(gateway.EINVALIDJSON, string(syn.JSONPointer),
				"invalid JSON at byte %d: %s", "第 %d 字节处 JSON 格式错误：%s", syn.ByteOffset, syn.Err.Error())
		}
	case errors.As(err, &sem):
		ptr := string(sem.JSONPointer)
		if errors.Is(sem.Err, json.ErrUnknownName) {
			return detailed(gateway.EUNKNOWNFIELD, ptr, "unknown field %s", "不允许的字段 %s", ptr)
		}
		want := kind{"a valid value", "有效值"}
		if sem.GoType != nil {
			want = goKind(sem.GoType)
		}
		got := jsonKind(sem.JSONKind)
		return detailed(gateway.ETYPEMISMATCH, ptr, "%[1]s must be %[2]s, got %[3]s", "%[4]s 应为%[5]s，实际为%[6]s", ptrOrRoot(ptr), want.en, got.en, ptrOrRootZh(ptr), want.zh, got.zh)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return detailed(gateway.EINVALIDJSON, "", "empty or truncated JSON body", "请求体为空或 JSON 不完整")
	}
	return gateway.Wrap(err, gateway.EINVALIDJSON, "invalid JSON", "JSON 格式错误")
}

// isTrailing reports a syntax error after a complete top-level value; the decoder has no
// sentinel for it, so its stable message is matched here, in the one translation function.
func isTrailing(syn *jsontext.SyntacticError) bool {
	return syn.Err != nil && strings.Contains(syn.Err.Error(), "after top-level value")
}

// kind names a JSON type in both languages.
type kind struct{ en, zh string }

func jsonKind(k jsontext.Kind) kind {
	switch k {
	case '"':
		return kind{"a string", "字符串"}
	case '0':
		return kind{"a number", "数字"}
	case '{':
		return kind{"an object", "对象"}
	case '[':
		return kind{"an array", "数组"}
	case 't', 'f':
		return kind{"a boolean", "布尔值"}
	case 'n':
		return kind{"null", "null"}
	}
	return kind{"a value", "值"}
}

func detailed(code, pointer, en, zh string, args ...any) error {
	e := gateway.Errorf(code, en, zh, args...)
	return e.WithDetails(gateway.Detail{Pointer: pointer, Code: code, Message: e.Message, MessageZh: e.MessageZh})
}

func ptrOrRoot(p string) string {
	if p == "" {
		return "the document"
	}
	return p
}

func ptrOrRootZh(p string) string {
	if p == "" {
		return "文档"
	}
	return p
}

func goKind(t reflect.Type) kind {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return kind{"a string", "字符串"}
	case reflect.Bool:
		return kind{"a boolean", "布尔值"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kind{"an integer in range", "范围内的整数"}
	case reflect.Float32, reflect.Float64:
		return kind{"a number", "数字"}
	case reflect.Slice, reflect.Array:
		return kind{"an array", "数组"}
	case reflect.Struct, reflect.Map:
		return kind{"an object", "对象"}
	}
	return kind{"a valid value", "有效值"}
}
