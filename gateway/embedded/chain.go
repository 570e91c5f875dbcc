package embedded

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Block is one hash-chained block of the embedded ledger: the header links to the previous
// block's header hash and commits to its transactions by their Merkle root.
type Block struct {
	Number    uint64 `json:"number"`
	PrevHash  string `json:"prevHash"` // hex SHA-256 of the previous header ("" for block 0)
	DataHash  string `json:"dataHash"` // RFC 6962 Merkle root of the transaction hashes
	Timestamp string `json:"timestamp"`
	Txs       []Tx   `json:"txs"`
}

// Tx is one committed transaction: what was invoked, by which organisation, and what it wrote.
// Only transactions the chaincode accepted are committed (as in Fabric, a refused proposal
// never reaches a block).
type Tx struct {
	TxID      string   `json:"txId"`
	MSPID     string   `json:"mspId"`
	Function  string   `json:"function"`
	Args      []string `json:"args"`
	Timestamp string   `json:"timestamp"`
	Writes    []Write  `json:"writes"`
	Event     []byte   `json:"event,omitempty"`
}

// Write is one key written by a transaction.
type Write struct {
	Key    string `json:"key"`
	Value  []byte `json:"value,omitempty"`
	Delete bool   `json:"delete,omitempty"`
}

// Hash returns the SHA-256 of the transaction's JSON form.
func (t *Tx) Hash() [32]byte {
	data, _ := json.Marshal(t) // a Tx always marshals
	return sha256.Sum256(data)
}

// HeaderHash returns the SHA-256 of the block header (number, previous hash, data hash).
func (b *Block) HeaderHash() string {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], b.Number)
	h.Write(n[:])
	h.Write([]byte(b.PrevHash))
	h.Write([]byte(b.DataHash))
	h.Write([]byte(b.Timestamp))
	return hex.EncodeToString(h.Sum(nil))
}

// merkleRoot is the RFC 6962 Merkle tree hash of the leaves (leaf prefix 0x00, node 0x01):
// no leaf duplication, so two different transaction lists never share a root.
func merkleRoot(leaves [][32]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0][:]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := merkleRoot(leaves[:k]), merkleRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// MerklePath returns the audit path of leaf i (sibling hashes bottom-up, hex) so that a holder
// of a receipt can prove its transaction is in the block with VerifyMerklePath.
func MerklePath(leaves [][32]byte, i int) []string {
	if len(leaves) <= 1 {
		return []string{}
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	if i < k {
		r := merkleRoot(leaves[k:])
		return append(MerklePath(leaves[:k], i), "R"+hex.EncodeToString(r[:]))
	}
	l := merkleRoot(leaves[:k])
	return append(MerklePath(leaves[k:], i-k), "L"+hex.EncodeToString(l[:]))
}

// VerifyMerklePath checks that leaf with the audit path hashes to root (hex).
func VerifyMerklePath(leaf [32]byte, path []string, root string) bool {
	h := sha256.Sum256(append([]byte{0}, leaf[:]...))
	for _, p := range path {
		if len(p) != 65 {
			return false
		}
		sib, err := hex.DecodeString(p[1:])
		if err != nil {
			return false
		}
		switch p[0] {
		case 'L':
			h = sha256.Sum256(append(append([]byte{1}, sib...), h[:]...))
		case 'R':
			h = sha256.Sum256(append(append([]byte{1}, h[:]...), sib...))
		default:
			return false
		}
	}
	return hex.EncodeToString(h[:]) == root
}

func txHashes(txs []Tx) [][32]byte {
	out := make([][32]byte, len(txs))
	for i := range txs {
		out[i] = txs[i].Hash()
	}
	return out
}

func blockKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// historyKey orders a key's versions by block and transaction.
func historyKey(key string, block uint64, tx int) []byte {
	k := make([]byte, 0, len(key)+13)
	k = append(k, key...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, block)
	return binary.BigEndian.AppendUint32(k, uint32(tx))
}

// Verify re-checks the whole chain: every block's Merkle root, the hash links between
// headers, the transaction index, and that replaying every write yields the world state.
func (l *Ledger) Verify() (blocks uint64, err error) {
	if err := l.waitApplied(); err != nil {
		return 0, err
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		height := stateHeight(tx)
		if height != l.log.count() {
			return fmt.Errorf("world state at block %d, block log at %d", height, l.log.count())
		}
		state := map[string][]byte{}
		prev := ""
		for n := uint64(0); n < height; n++ {
			b, err := l.readBlock(n)
			if err != nil {
				return err
			}
			if b.Number != n {
				return fmt.Errorf("block %d: numbered %d", n, b.Number)
			}
			if b.PrevHash != prev {
				return fmt.Errorf("block %d: previous hash %s, chain has %s", n, b.PrevHash, prev)
			}
			root := merkleRoot(txHashes(b.Txs))
			if hex.EncodeToString(root[:]) != b.DataHash {
				return fmt.Errorf("block %d: Merkle root mismatch", n)
			}
			for i, t := range b.Txs {
				loc := tx.Bucket(bucketTxIndex).Get([]byte(t.TxID))
				if len(loc) != 12 || binary.BigEndian.Uint64(loc) != n || int(binary.BigEndian.Uint32(loc[8:])) != i {
					return fmt.Errorf("block %d: tx %s not indexed at its place", n, t.TxID)
				}
				for _, w := range t.Writes {
					if w.Delete {
						delete(state, w.Key)
					} else {
						state[w.Key] = w.Value
					}
				}
			}
			prev = b.HeaderHash()
		}
		if got := string(tx.Bucket(bucketMeta).Get(metaLastHash)); got != prev {
			return fmt.Errorf("last header hash %s, chain ends at %s", got, prev)
		}
		n := 0
		err := tx.Bucket(bucketState).ForEach(func(k, v []byte) error {
			n++
			if !bytes.Equal(state[string(k)], v) {
				return fmt.Errorf("world state of %q differs from the replayed chain", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n != len(state) {
			return fmt.Errorf("world state holds %d keys, the chain %d", n, len(state))
		}
		blocks = height
		return nil
	})
	return blocks, err
}
