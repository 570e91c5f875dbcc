package rediscache

import "github.com/ucx-export/ucx/gateway"

// DisableMemo makes l decode every entry it reads (benchmarks: the cost of a first read).
func DisableMemo(l *Lookups) { l.memo.disabled = true }

// Clones are the copy functions of the memo, for the test that checks they copy deeply.
var (
	ClonePolice      = clonePolice
	CloneMaintenance = cloneMaintenance
	CloneLicence     = cloneLicence
)

// CloneExporter and CloneDestination are the memo's copies of flat records.
var (
	CloneExporter    = clonePtr[gateway.Exporter]
	CloneDestination = clonePtr[gateway.Destination]
)
