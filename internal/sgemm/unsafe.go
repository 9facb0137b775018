package sgemm

import "unsafe"

func uintptrOf(s []float32) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(s))) }
