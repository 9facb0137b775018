package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// This file is the one home of non-finite numbers in the command line's
// JSON: jsonFloat writes them as null, and nonFinite finds them before a
// writer that cannot (encoding/json refuses NaN) leaves a partial folder.

// jsonFloat is a float64 written as null in JSON when it is NaN or
// infinite (a PSNR of a perfect restoration is +Inf).
type jsonFloat float64

// MarshalJSON implements json.Marshaler.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// nonFinite returns the JSON path of the first NaN or infinite float64 in
// v (exported fields, by their JSON names), or "" when there is none.
// Fields of type jsonFloat are skipped: they are written as null.
func nonFinite(v any) string {
	return nonFiniteValue(reflect.ValueOf(v), "")
}

func nonFiniteValue(v reflect.Value, path string) string {
	if !v.IsValid() {
		return ""
	}
	if v.Type() == reflect.TypeOf(jsonFloat(0)) {
		return ""
	}
	if _, ok := v.Interface().(json.Marshaler); ok && v.Kind() != reflect.Struct {
		return ""
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprintf("%s = %v", path, f)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nonFiniteValue(v.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p := nonFiniteValue(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if p := nonFiniteValue(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key())); p != "" {
				return p
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name := f.Name
			if n := jsonName(tag); n != "" {
				name = n
			}
			sep := "."
			if path == "" {
				sep = ""
			}
			if p := nonFiniteValue(v.Field(i), path+sep+name); p != "" {
				return p
			}
		}
	}
	return ""
}

func jsonName(tag string) string {
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	return tag
}
