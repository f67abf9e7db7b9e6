package database

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Every id in Corpu is a uuid.UUID, and nearly every statement carries one.
// pgx does not know the type: it sees a driver.Valuer, asks it for its text
// form (36 bytes, allocated), then parses that text back into sixteen bytes
// to send them. In an exam's start burst that round trip was 7% of the API
// process's CPU. registerUUID teaches each connection's type map to send a
// uuid.UUID's bytes as they are.

// registerUUID is the pool's after-connect hook: the uuid type of the
// connection's map gets uuidCodec.
func registerUUID(_ context.Context, conn *pgx.Conn) error {
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}})
	return nil
}

// uuidCodec is pgx's UUIDCodec that also encodes a uuid.UUID itself;
// everything else (pgtype.UUID, [16]byte, strings, scanning) is pgx's.
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(uuid.UUID); ok {
		return encodeUUID{text: format == pgtype.TextFormatCode}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

// encodeUUID writes a uuid.UUID in the binary format (its sixteen bytes) or
// the text one.
type encodeUUID struct{ text bool }

func (p encodeUUID) Encode(value any, buf []byte) ([]byte, error) {
	id := value.(uuid.UUID)
	if p.text {
		return append(buf, id.String()...), nil
	}
	return append(buf, id[:]...), nil
}
