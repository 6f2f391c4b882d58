package main

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// The field manager the TypeScript controller's patches carry too.
var metaPatchOptions = metav1.PatchOptions{FieldManager: "guitars-controller"}
