package course

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// refreshCatalogue rewrites a course's catalogue entry and search terms from
// its current published version: there are none while the course is archived
// or was never published.
func (s store) refreshCatalogue(ctx context.Context, courseID uuid.UUID) error {
	tx := s.db.Conn(ctx)
	if err := tx.Exec("DELETE FROM course_catalogue WHERE course_id = ?", courseID).Error; err != nil {
		return fmt.Errorf("clear catalogue entry: %w", err)
	}
	err := tx.Exec(`INSERT INTO course_catalogue (course_id, version_id, org_id, sharing, code, title, title_key, summary,
			language, delivery_mode, level, jp_credit, tags, competency_tags, objectives_text, cover_file_id, published_at)
		SELECT c.id, v.id, c.org_id, c.sharing, c.code, v.title, lower(v.title), v.summary, v.language, v.delivery_mode,
			v.level, v.jp_credit, v.tags, v.competency_tags, array_to_string(v.objectives, ' '), v.cover_file_id, v.published_at
		FROM courses c JOIN course_versions v ON v.id = c.current_published_version_id
		WHERE c.id = ? AND c.archived_at IS NULL`, courseID).Error
	if err != nil {
		return fmt.Errorf("write catalogue entry: %w", err)
	}
	var entries []catalogueRow
	if err := tx.Select("*, title_key AS sort_key").Where("course_id = ?", courseID).Find(&entries).Error; err != nil {
		return fmt.Errorf("read catalogue entry: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	e := entries[0]
	terms := catalogueTerms(e.toEntry())
	rows := make([]termRow, len(terms))
	for i, t := range terms {
		rows[i] = termRow{Term: t, TitleKey: e.SortKey, CourseID: e.CourseID, PublishedAt: e.PublishedAt, OrgID: e.OrgID,
			Sharing: e.Sharing, DeliveryMode: e.DeliveryMode, Level: e.Level, Language: e.Language}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("write catalogue terms: %w", err)
	}
	return nil
}

type termRow struct {
	Term         string
	TitleKey     string
	CourseID     uuid.UUID
	PublishedAt  time.Time
	OrgID        uuid.UUID
	Sharing      string
	DeliveryMode string
	Level        string
	Language     string
}

func (termRow) TableName() string { return "course_catalogue_terms" }

// visibleTo is the condition "the row at alias is visible to a caller whose
// home organisation has these ancestors (itself included)": shared
// nationally, owned by an ancestor, or shared with one. Its arguments are
// the ancestors twice.
func visibleTo(alias string) string {
	return `(` + alias + `.sharing = 'national' OR ` + alias + `.org_id = ANY(?::uuid[]) OR (` + alias + `.sharing = 'listed'
		AND EXISTS (SELECT 1 FROM course_shares sh WHERE sh.course_id = ` + alias + `.course_id AND sh.org_id = ANY(?::uuid[]))))`
}

// catalogueQuery is a search of the catalogue as the store runs it.
type catalogueQuery struct {
	filter    CatalogueFilter
	all       bool        // a platform admin: no visibility filter
	ancestors []uuid.UUID // the caller's home organisation and its ancestors
	staffOrgs []uuid.UUID // organisations where the caller reads courses
}

// termCond is one search term a course must have: an exact term, or a prefix
// of words.
type termCond struct {
	op, arg string
}

// termConds lists the terms a search asks for: its words (a prefix for words
// of three characters or more), tag and competency.
func termConds(f CatalogueFilter) []termCond {
	var conds []termCond
	for _, w := range searchWords(f.Query) {
		if utf8.RuneCountInString(w) >= 3 {
			conds = append(conds, termCond{"LIKE", "w:" + w + "%"})
		} else {
			conds = append(conds, termCond{"=", "w:" + w})
		}
	}
	if f.Tag != "" {
		conds = append(conds, termCond{"=", "t:" + f.Tag})
	}
	if f.Competency != "" {
		conds = append(conds, termCond{"=", "c:" + f.Competency})
	}
	if f.OrgID != uuid.Nil {
		conds = append(conds, termCond{"=", "o:" + f.OrgID.String()})
	}
	return conds
}

// searchCatalogue returns a page (plus one) of the catalogue. A search with
// words, a tag, a competency or an organisation reads the search terms: one
// term drives (an exact one, whose rows come in title order, else the
// longest word) and the others must exist for the same course. A search
// without any browses the catalogue in title or publication order. Either
// way the rows come from indexes in page order.
func (s store) searchCatalogue(ctx context.Context, cq catalogueQuery, req page.Request) ([]catalogueRow, error) {
	f := cq.filter
	if strings.TrimSpace(f.Query) != "" && len(searchWords(f.Query)) == 0 {
		return nil, nil // no word in it: nothing matches
	}
	field, desc := req.SortField()
	dir, cmp := "ASC", ">"
	if desc {
		dir, cmp = "DESC", "<"
	}
	sortCol, keyExpr := "title_key", "%s.title_key"
	if field == "published_at" {
		sortCol, keyExpr = "published_at", `to_char(%s.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
	}
	var after []any
	keyType := database.KeyText
	if field == "published_at" {
		keyType = database.KeyTime
	}
	if key, id, ok, err := database.After(req, keyType); err != nil {
		return nil, err
	} else if ok {
		after = []any{key, id}
	}

	// filter adds what every search applies to the rows at alias.
	filter := func(q *gorm.DB, alias string) *gorm.DB {
		if !cq.all {
			anc := database.UUIDArray(cq.ancestors)
			q = q.Where("("+visibleTo(alias)+" OR "+alias+".org_id = ANY(?::uuid[]))", anc, anc, database.UUIDArray(cq.staffOrgs))
		}
		if f.Mode != "" {
			q = q.Where(alias+".delivery_mode = ?", f.Mode)
		}
		if f.Level != "" {
			q = q.Where(alias+".level = ?", f.Level)
		}
		if f.Language != "" {
			q = q.Where(alias+".language = ?", f.Language)
		}
		if after != nil {
			q = q.Where(fmt.Sprintf("(%s.%s, %s.course_id) %s (?, ?)", alias, sortCol, alias, cmp), after...)
		}
		return q.Order(fmt.Sprintf("%s.%s %s, %s.course_id %s", alias, sortCol, dir, alias, dir)).Limit(req.Limit + 1)
	}

	build := func(tx *gorm.DB) *gorm.DB {
		conds := termConds(f)
		if len(conds) == 0 {
			return filter(tx.Table("course_catalogue AS c").Select("c.*, "+fmt.Sprintf(keyExpr, "c")+" AS sort_key"), "c")
		}
		drive := 0
		for i, c := range conds {
			if c.op == "=" && conds[drive].op != "=" || c.op == conds[drive].op && len(c.arg) > len(conds[drive].arg) {
				drive = i
			}
		}
		hits := tx.Table("course_catalogue_terms AS p").Where("p.term "+conds[drive].op+" ?", conds[drive].arg)
		if conds[drive].op == "LIKE" {
			hits = hits.Distinct("p.course_id", "p.title_key", "p.published_at") // a course has several words with the prefix
		} else {
			hits = hits.Select("p.course_id, p.title_key, p.published_at")
		}
		for i, c := range conds {
			if i != drive {
				hits = hits.Where("EXISTS (SELECT 1 FROM course_catalogue_terms x WHERE x.course_id = p.course_id AND x.term "+c.op+" ?)", c.arg)
			}
		}
		return tx.Table("(?) AS h", filter(hits, "p")).
			Select("c.*, " + fmt.Sprintf(keyExpr, "h") + " AS sort_key").
			Joins("JOIN course_catalogue AS c ON c.course_id = h.course_id").
			Order(fmt.Sprintf("h.%s %s, h.course_id %s", sortCol, dir, dir))
	}
	var rows []catalogueRow
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		tx := s.db.Conn(ctx)
		// These short queries never gain from JIT compilation, which costs
		// more than the whole search when the planner's estimate invites it.
		if err := tx.Exec("SET LOCAL jit = off").Error; err != nil {
			return err
		}
		return build(tx).Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("search catalogue: %w", err)
	}
	return rows, nil
}

// searchWords splits a search into lower-case words of letters and digits,
// as the catalogue's terms are made (at most eight).
func searchWords(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), notWordRune)
	if len(words) > 8 {
		words = words[:8]
	}
	return words
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// catalogueTerms returns the search terms of a catalogue entry.
func catalogueTerms(e CatalogueEntry) []string {
	var terms []string
	add := func(t string) {
		if !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	text := e.Code + " " + e.Title + " " + strings.Join(e.Tags, " ") + " " + strings.Join(e.CompetencyTags, " ")
	for _, w := range strings.FieldsFunc(strings.ToLower(text), notWordRune) {
		add("w:" + w)
	}
	for _, t := range e.Tags {
		add("t:" + t)
	}
	for _, t := range e.CompetencyTags {
		add("c:" + t)
	}
	add("o:" + e.OrgID.String())
	return terms
}

// similar ranks the published courses of other organisations by their
// resemblance to a title, objectives and competency tags. Candidates come
// from the trigram and tag indexes; the score weighs the three measures.
// Only the entries the viewer finds in the catalogue are candidates (the
// viewer's filter is not used).
func (s store) similar(ctx context.Context, viewer catalogueQuery, orgID, courseID uuid.UUID, title, objectives string, tags []string) ([]similarRow, error) {
	visible, args := "true", []any{}
	if !viewer.all {
		anc := database.UUIDArray(viewer.ancestors)
		visible = "(" + visibleTo("c") + " OR c.org_id = ANY(?::uuid[]))"
		args = []any{anc, anc, database.UUIDArray(viewer.staffOrgs)}
	}
	tagArr := database.TextArray(nonNil(tags))
	var rows []similarRow
	err := s.db.Conn(ctx).Raw(`
		SELECT * FROM (
			SELECT c.course_id, c.version_id, c.org_id, c.code, c.title,
				similarity(c.title, ?) AS title_similarity,
				similarity(c.objectives_text, ?) AS objectives_similarity,
				CASE WHEN x.n = 0 THEN 0
					ELSE x.n::float8 / (cardinality(c.competency_tags) + cardinality(?::text[]) - x.n) END AS tag_overlap,
				x.shared AS shared_tags
			FROM course_catalogue c
			CROSS JOIN LATERAL (
				SELECT count(*) AS n, coalesce(array_agg(t ORDER BY t), '{}') AS shared
				FROM unnest(c.competency_tags) AS t WHERE t = ANY(?::text[])) x
			WHERE c.org_id <> ? AND c.course_id <> ?
				AND (c.title % ? OR (? <> '' AND c.objectives_text % ?) OR c.competency_tags && ?::text[])
				AND `+visible+`
		) m
		CROSS JOIN LATERAL (SELECT ? * m.title_similarity + ? * m.objectives_similarity + ? * m.tag_overlap AS score) sc
		WHERE sc.score >= ?
		ORDER BY sc.score DESC, m.course_id
		LIMIT ?`,
		slices.Concat([]any{title, objectives, tagArr, tagArr, orgID, courseID,
			title, objectives, objectives, tagArr}, args, []any{similarTitleWeight, similarObjectivesWeight, similarTagsWeight, similarThreshold, similarLimit})...,
	).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find similar courses: %w", err)
	}
	return rows, nil
}
