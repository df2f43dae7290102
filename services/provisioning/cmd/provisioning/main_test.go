package main

import "testing"

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		command string
		demo    bool
		wantErr bool
	}{
		{nil, "serve", false, false},
		{[]string{"--demo"}, "serve", true, false},
		{[]string{"serve", "--demo"}, "serve", true, false},
		{[]string{"--demo", "serve"}, "serve", true, false},
		{[]string{"migrate"}, "migrate", false, false},
		{[]string{"frobnicate"}, "", false, true},
		{[]string{"serve", "extra"}, "", false, true},
	}
	for _, tt := range tests {
		command, demo, err := parseArgs(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: err = %v", tt.args, err)
			continue
		}
		if !tt.wantErr && (command != tt.command || demo != tt.demo) {
			t.Errorf("%v: got %s demo=%v, want %s demo=%v", tt.args, command, demo, tt.command, tt.demo)
		}
	}
}

func TestIsSQLite(t *testing.T) {
	if isSQLite("postgres://x") || isSQLite("postgresql://x") || !isSQLite("sqlite:data/p.db") {
		t.Error("isSQLite misjudged a URL")
	}
}
