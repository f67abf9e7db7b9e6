package course

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

// seedCatalogue publishes n courses of 510 training institutes across 34
// provinces in a few INSERT … SELECT generate_series statements: titles and
// tags drawn from the words of the domain, 60% shared nationally, 25% with
// two listed organisations, 15% private.
func seedCatalogue(tb testing.TB, f *fixture, n int) {
	tb.Helper()
	ctx := context.Background()
	db := f.db.Conn(ctx)
	author := f.actor["authorA"].UserID
	steps := []struct {
		name string
		sql  string
		args []any
	}{
		{"provinces", `INSERT INTO organizations (id, parent_id, path, kind, code, name)
			SELECT id, ?, ? || id || '/', 'province', 'BENCH-PROV-' || g, 'Provinsi ' || g
			FROM (SELECT g, gen_random_uuid() AS id FROM generate_series(1, 34) g) s`, []any{f.org["R"], f.path["R"]}},
		{"institutes", `INSERT INTO organizations (id, parent_id, path, kind, code, name)
			SELECT id, parent_id, parent_path || id || '/', 'training_institute', 'BENCH-INST-' || parent_code || '-' || g, 'BPSDM ' || g
			FROM (SELECT gen_random_uuid() AS id, p.id AS parent_id, p.path AS parent_path, p.code AS parent_code, g
				FROM organizations p, generate_series(1, 15) g WHERE p.code LIKE 'BENCH-PROV-%') s`, nil},
		{"seed", `CREATE TEMP TABLE bench_seed AS
			SELECT g, gen_random_uuid() AS course_id, gen_random_uuid() AS version_id, i.id AS org_id, i.rn
			FROM generate_series(1, ?) g
			JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM organizations WHERE code LIKE 'BENCH-INST-%') i
				ON i.rn = g % 510`, []any{n}},
		{"courses", `INSERT INTO courses (id, org_id, code, sharing, created_by)
			SELECT course_id, org_id, 'C-' || g,
				CASE WHEN abs(hashint4(g)) % 20 < 12 THEN 'national' WHEN abs(hashint4(g)) % 20 < 17 THEN 'listed' ELSE 'private' END, ?
			FROM bench_seed`, []any{author}},
		{"versions", `INSERT INTO course_versions (id, course_id, number, status, title, summary, language, objectives,
				competency_tags, tags, delivery_mode, jp_credit, level, created_by, published_at, published_by)
			SELECT version_id, course_id, 1, 'published',
				t.topic || ' ' || (ARRAY['Dasar', 'Lanjutan', 'untuk ASN', 'bagi Pimpinan', 'Terapan', 'Praktis',
					'Berbasis Proyek', 'di Daerah'])[1 + (g / 20) % 8] || ' Seri ' || (g / 160),
				'Pelatihan ' || lower(t.topic) || ' untuk meningkatkan kompetensi ' ||
					(ARRAY['digital', 'manajerial', 'teknis', 'sosial kultural', 'pelayanan publik'])[1 + g % 5] || ' ASN.',
				CASE WHEN g % 10 = 0 THEN 'en' ELSE 'id' END,
				ARRAY['Peserta mampu menerapkan ' || lower(t.topic) || ' dalam pekerjaan',
					'Peserta memahami regulasi ' || lower(t.topic)],
				ARRAY['dig-' || (g % 40), 'man-' || (g % 25)],
				ARRAY[t.tag, (ARRAY['spbe', 'e-government', 'data', 'excel', 'kepemimpinan', 'pelayanan', 'keuangan',
					'regulasi', 'inovasi', 'kolaborasi', 'mentoring', 'sertifikasi'])[1 + g % 12]],
				(ARRAY['online', 'blended', 'classroom'])[1 + g % 3], 4 + g % 60,
				(ARRAY['basic', 'intermediate', 'advanced'])[1 + (g / 3) % 3],
				?, now() - make_interval(mins => g), ?
			FROM bench_seed
			JOIN (SELECT ord - 1 AS k, topic, lower(replace(topic, ' ', '-')) AS tag
				FROM unnest(ARRAY['Literasi Digital', 'Transformasi Digital', 'Keamanan Informasi', 'Analisis Data',
					'Pelayanan Publik', 'Manajemen Talenta', 'Kepemimpinan Digital', 'Tata Kelola SPBE',
					'Pengelolaan Keuangan Daerah', 'Etika Birokrasi', 'Komunikasi Publik', 'Inovasi Pelayanan',
					'Manajemen Risiko', 'Pengadaan Barang dan Jasa', 'Perencanaan Pembangunan', 'Evaluasi Kinerja',
					'Kecerdasan Buatan', 'Arsitektur Data', 'Layanan Berbasis Elektronik', 'Perlindungan Data Pribadi'])
					WITH ORDINALITY AS u(topic, ord)) t ON t.k = g % 20`, []any{author, author}},
		{"published", `UPDATE courses c SET current_published_version_id = s.version_id FROM bench_seed s WHERE c.id = s.course_id`, nil},
		{"shares", `INSERT INTO course_shares (course_id, org_id)
			SELECT s.course_id, o.id FROM bench_seed s
			JOIN courses c ON c.id = s.course_id AND c.sharing = 'listed'
			JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM organizations WHERE code LIKE 'BENCH-%') o
				ON o.rn IN ((s.g * 7) % 544, (s.g * 13 + 1) % 544)`, nil},
		{"catalogue", `INSERT INTO course_catalogue (course_id, version_id, org_id, sharing, code, title, title_key, summary,
				language, delivery_mode, level, jp_credit, tags, competency_tags, objectives_text, cover_file_id, published_at)
			SELECT c.id, v.id, c.org_id, c.sharing, c.code, v.title, lower(v.title), v.summary, v.language, v.delivery_mode,
				v.level, v.jp_credit, v.tags, v.competency_tags, array_to_string(v.objectives, ' '), v.cover_file_id, v.published_at
			FROM courses c JOIN course_versions v ON v.id = c.current_published_version_id
			WHERE c.archived_at IS NULL AND c.code LIKE 'C-%'`, nil},
		// The terms as catalogueTerms makes them (the seed's words are ASCII).
		{"terms", `INSERT INTO course_catalogue_terms (term, title_key, course_id, published_at, org_id, sharing,
				delivery_mode, level, language)
			SELECT DISTINCT t.term, c.title_key, c.course_id, c.published_at, c.org_id, c.sharing, c.delivery_mode, c.level, c.language
			FROM course_catalogue c
			CROSS JOIN LATERAL (
				SELECT 'w:' || w AS term FROM regexp_split_to_table(lower(concat_ws(' ', c.code, c.title,
					array_to_string(c.tags, ' '), array_to_string(c.competency_tags, ' '))), '[^a-z0-9]+') w WHERE w <> ''
				UNION SELECT 't:' || t FROM unnest(c.tags) t
				UNION SELECT 'c:' || t FROM unnest(c.competency_tags) t
				UNION SELECT 'o:' || c.org_id) t
			WHERE c.code LIKE 'C-%'`, nil},
		{"vacuum", `VACUUM ANALYZE organizations, courses, course_versions, course_shares, course_catalogue, course_catalogue_terms`, nil},
	}
	took := map[string]time.Duration{}
	for _, st := range steps {
		start := time.Now()
		if err := db.Exec(st.sql, st.args...).Error; err != nil {
			tb.Fatalf("seed %s: %v", st.name, err)
		}
		took[st.name] = time.Since(start).Round(time.Millisecond)
	}
	tb.Logf("seeded %d courses: %v", n, took)
}

// catalogueProbe is one query of the benchmark's mix.
type catalogueProbe struct {
	name       string
	filter     CatalogueFilter
	sort       string
	secondPage bool
	cursor     string
}

// BenchmarkCatalogueSearch measures the catalogue over 100,000 published
// courses with a mix of what learners do: words, a tag, a competency,
// filters by mode and level, an organisation, newest first, and second
// pages. Each iteration runs one query of the mix as a learner of a
// regency, whose visibility rules apply; p50, p95 and p99 are reported.
func BenchmarkCatalogueSearch(b *testing.B) {
	f := newFixture(b)
	seedCatalogue(b, f, 100_000)
	ctx := context.Background()
	var someInstitute uuid.UUID
	if err := f.db.Conn(ctx).Raw("SELECT org_id FROM course_catalogue ORDER BY course_id LIMIT 1").Row().Scan(&someInstitute); err != nil {
		b.Fatal(err)
	}
	// A learner at a training institute of one of the provinces: national
	// courses, their province's and institute's own, and those listed for them.
	var home struct {
		ID   uuid.UUID
		Path string
	}
	if err := f.db.Conn(ctx).Raw("SELECT id, path FROM organizations WHERE code LIKE 'BENCH-INST-%' ORDER BY code LIMIT 1").
		Row().Scan(&home.ID, &home.Path); err != nil {
		b.Fatal(err)
	}
	learner := authz.WithActor(ctx, &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: home.ID, HomeOrgPath: home.Path,
		Grants: []authz.Grant{{Role: authz.RoleLearner, OrgID: home.ID, OrgPath: home.Path}}})

	mix := []catalogueProbe{
		{name: "words", filter: CatalogueFilter{Query: "literasi digital"}},
		{name: "word", filter: CatalogueFilter{Query: "keamanan"}},
		{name: "rare words", filter: CatalogueFilter{Query: "pengadaan barang lanjutan"}},
		{name: "no match", filter: CatalogueFilter{Query: "vulkanologi"}},
		{name: "tag", filter: CatalogueFilter{Tag: "spbe"}},
		{name: "competency", filter: CatalogueFilter{Competency: "dig-7"}},
		{name: "mode and level", filter: CatalogueFilter{Mode: ModeBlended, Level: LevelAdvanced}},
		{name: "word and mode", filter: CatalogueFilter{Query: "data", Mode: ModeOnline}},
		{name: "organisation", filter: CatalogueFilter{OrgID: someInstitute}},
		{name: "newest", sort: "-published_at"},
		{name: "words, newest", filter: CatalogueFilter{Query: "kecerdasan buatan"}, sort: "-published_at"},
		{name: "browse, second page", secondPage: true},
		{name: "word, second page", filter: CatalogueFilter{Query: "digital"}, secondPage: true},
		{name: "tag and mode, second page", filter: CatalogueFilter{Tag: "data", Mode: ModeClassroom}, secondPage: true},
	}
	for i, q := range mix {
		if q.sort == "" {
			mix[i].sort = "title"
		}
		if !q.secondPage {
			continue
		}
		res, err := f.svc.Catalogue(learner, q.filter, page.Request{Limit: page.DefaultLimit, Sort: mix[i].sort})
		if err != nil || res.NextCursor == "" {
			b.Fatalf("first page of %s = %d items, %v; want a next page", q.name, len(res.Items), err)
		}
		mix[i].cursor = res.NextCursor
	}

	latencies := make([]time.Duration, 0, b.N)
	byProbe := map[string][]time.Duration{}
	for i := 0; b.Loop(); i++ {
		q := mix[i%len(mix)]
		start := time.Now()
		res, err := f.svc.Catalogue(learner, q.filter, page.Request{Limit: page.DefaultLimit, Sort: q.sort, Cursor: q.cursor})
		took := time.Since(start)
		if err != nil {
			b.Fatalf("Catalogue(%s) = %v", q.name, err)
		}
		if q.name != "no match" && len(res.Items) == 0 {
			b.Fatalf("Catalogue(%s) found nothing", q.name)
		}
		latencies = append(latencies, took)
		byProbe[q.name] = append(byProbe[q.name], took)
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(latencies, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(latencies, 95)), "p95-ms")
	b.ReportMetric(ms(percentile(latencies, 99)), "p99-ms")
	var report []string
	for _, q := range mix {
		if l := byProbe[q.name]; len(l) > 0 {
			report = append(report, fmt.Sprintf("%s %.1f/%.1f", q.name, ms(percentile(l, 50)), ms(percentile(l, 100))))
		}
	}
	b.Logf("p50/max ms by query: %s", strings.Join(report, "; "))
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
