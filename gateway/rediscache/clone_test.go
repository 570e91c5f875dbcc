package rediscache_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/rediscache"
)

// The memo hands each look-up a copy of a shared decoded answer: the copy must share no
// memory with it, for every field the record types have now or get later.
func TestClonesShareNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		clone func(any) any
		zero  any
	}{
		"police":      {func(v any) any { return rediscache.ClonePolice(v.(*gateway.PoliceRecord)) }, &gateway.PoliceRecord{}},
		"maintenance": {func(v any) any { return rediscache.CloneMaintenance(*v.(*[]gateway.MaintenanceRecord)) }, &[]gateway.MaintenanceRecord{}},
		"licence":     {func(v any) any { return rediscache.CloneLicence(v.(*gateway.Licence)) }, &gateway.Licence{}},
		"exporter":    {func(v any) any { return rediscache.CloneExporter(v.(*gateway.Exporter)) }, &gateway.Exporter{}},
		"destination": {func(v any) any { return rediscache.CloneDestination(v.(*gateway.Destination)) }, &gateway.Destination{}},
	} {
		t.Run(name, func(t *testing.T) {
			orig := reflect.ValueOf(tc.zero)
			populate(orig.Elem())
			c := reflect.ValueOf(tc.clone(tc.zero))
			if orig.Elem().Kind() == reflect.Slice { // the maintenance clone returns the slice itself
				orig = orig.Elem()
			}
			assert.Equal(t, orig.Interface(), c.Interface())
			assertDisjoint(t, name, orig, c)
		})
	}
	assert.Nil(t, rediscache.ClonePolice(nil))
	assert.Nil(t, rediscache.CloneMaintenance(nil))
	assert.NotNil(t, rediscache.CloneMaintenance([]gateway.MaintenanceRecord{}), "empty stays empty, not nil")
}

// populate sets every field of v to a non-zero value, with one element in every slice.
func populate(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		populate(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		populate(v.Index(0))
	case reflect.Struct:
		for i := range v.NumField() {
			populate(v.Field(i))
		}
	default:
		panic("populate: add kind " + v.Kind().String())
	}
}

// assertDisjoint fails when a and b share a pointer or a slice's backing array.
func assertDisjoint(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s: shared pointer", path)
		assertDisjoint(t, path, a.Elem(), b.Elem())
	case reflect.Slice:
		assert.NotEqual(t, a.Pointer(), b.Pointer(), "%s: shared slice", path)
		for i := range a.Len() {
			assertDisjoint(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Struct:
		for i := range a.NumField() {
			assertDisjoint(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	case reflect.Map, reflect.Interface:
		t.Errorf("%s: %s fields need a clone rule", path, a.Kind())
	}
}
