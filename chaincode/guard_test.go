package chaincode_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSourceRules checks the contract's source for what would break determinism or
// stand-alone deployment: imports outside the allowlist (no package of this module, no
// randomness, no I/O), goroutines, and wall-clock time.
func TestSourceRules(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{
		"bytes": true, "encoding/json": true, "errors": true, "fmt": true, "io": true,
		"strconv": true, "strings": true, "time": true, "unicode": true, "unicode/utf8": true,
		"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid":        true,
		"github.com/hyperledger/fabric-chaincode-go/v2/shim":           true,
		"github.com/hyperledger/fabric-contract-api-go/v2/contractapi": true,
		"github.com/hyperledger/fabric-contract-api-go/v2/metadata":    true,
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		n++
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		f, err := parser.ParseFile(fset, name, src, 0)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			assert.True(t, allowed[p], "%s imports %s", name, p)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			switch x := node.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: goroutine at %s", name, fset.Position(x.Pos()))
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "time" && (x.Sel.Name == "Now" || x.Sel.Name == "Since" || x.Sel.Name == "Until") {
					t.Errorf("%s: wall-clock time.%s at %s", name, x.Sel.Name, fset.Position(x.Pos()))
				}
			}
			return true
		})
	}
	require.NotZero(t, n)
}
