package main

import "testing"

// The reference reviews by the policy file the controller ships with (k8s/base).
func TestLoadPolicyFromTheShippedConfigMap(t *testing.T) {
	reviewOf, err := loadPolicy("../../../k8s/base/review-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for brand, want := range map[string]string{
		" Fender ": "this is a great instrument",
		"yamaha":   "this instrument is not one we would recommend",
		"acme":     "nobody knows this brand",
	} {
		if got := reviewOf(brand).Comment; got != want {
			t.Errorf("%q: got %q, want %q", brand, got, want)
		}
	}
}
