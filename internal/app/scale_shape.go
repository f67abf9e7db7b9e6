package app

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// ScaleProvince is a province with its BPS code and its number of regencies
// and cities (Kemendagri, 2023: 38 provinces, 416 regencies and 98 cities).
type ScaleProvince struct {
	Code      string
	Name      string
	Regencies int
}

// ScaleProvinces are Indonesia's 38 provinces.
var ScaleProvinces = []ScaleProvince{
	{"11", "Aceh", 23}, {"12", "Sumatera Utara", 33}, {"13", "Sumatera Barat", 19}, {"14", "Riau", 12},
	{"15", "Jambi", 11}, {"16", "Sumatera Selatan", 17}, {"17", "Bengkulu", 10}, {"18", "Lampung", 15},
	{"19", "Kepulauan Bangka Belitung", 7}, {"21", "Kepulauan Riau", 7}, {"31", "DKI Jakarta", 6},
	{"32", "Jawa Barat", 27}, {"33", "Jawa Tengah", 35}, {"34", "DI Yogyakarta", 5}, {"35", "Jawa Timur", 38},
	{"36", "Banten", 8}, {"51", "Bali", 9}, {"52", "Nusa Tenggara Barat", 10}, {"53", "Nusa Tenggara Timur", 22},
	{"61", "Kalimantan Barat", 14}, {"62", "Kalimantan Tengah", 14}, {"63", "Kalimantan Selatan", 13},
	{"64", "Kalimantan Timur", 10}, {"65", "Kalimantan Utara", 5}, {"71", "Sulawesi Utara", 15},
	{"72", "Sulawesi Tengah", 13}, {"73", "Sulawesi Selatan", 24}, {"74", "Sulawesi Tenggara", 17},
	{"75", "Gorontalo", 6}, {"76", "Sulawesi Barat", 6}, {"81", "Maluku", 11}, {"82", "Maluku Utara", 10},
	{"91", "Papua", 9}, {"92", "Papua Barat", 7}, {"93", "Papua Selatan", 4}, {"94", "Papua Tengah", 8},
	{"95", "Papua Pegunungan", 8}, {"96", "Papua Barat Daya", 6},
}

// scaleMaxPerUnit bounds the people of one unit; a person's NIP comes from
// unit*scaleMaxPerUnit + their place in the unit, unique below ~19.9 million.
const scaleMaxPerUnit = 900

// ScaleOptions says how big a data set to make.
type ScaleOptions struct {
	People     int // civil servants in all
	Workers    int // concurrent service calls (organisations, grants, assignments)
	EnrolEvery int // every n-th unit is assigned to its province's class; 0 for none
	// EnrolByProvince assigns the provinces one after another (in the
	// order of ScaleProvinces) instead of in one shuffled national order:
	// a province's enrolments are then all older (or newer) than the
	// others', the slow case for a team view that walks newest first.
	EnrolByProvince bool
	// OneFile imports everyone from one national HR file (uploaded in
	// parts) instead of one file per province.
	OneFile bool
	Log     *slog.Logger
}

// ScaleUnit is one work unit of the generated tree.
type ScaleUnit struct {
	Index    int // global, stable
	Province int // index into ScaleProvinces
	Regency  int // 1-based within the province
	Unit     int // 1-based within the regency
	People   int
}

// Code is the unit's organisation code.
func (u ScaleUnit) Code() string {
	return fmt.Sprintf("SC-%s-%02d-%02d", ScaleProvinces[u.Province].Code, u.Regency, u.Unit)
}

func scaleProvinceCode(p int) string { return "SC-" + ScaleProvinces[p].Code }
func scaleRegencyCode(p, r int) string {
	return fmt.Sprintf("SC-%s-%02d", ScaleProvinces[p].Code, r)
}

// mix is splitmix64: a stable pseudo-random number from a seed.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ScaleUnits lays out the units of every regency (30 to 50 each) and
// spreads people over them (half to one and a half times the mean).
func ScaleUnits(people int) []ScaleUnit {
	var units []ScaleUnit
	for p, prov := range ScaleProvinces {
		for r := 1; r <= prov.Regencies; r++ {
			n := 30 + int(mix(uint64(p*1000+r))%21)
			for k := 1; k <= n; k++ {
				units = append(units, ScaleUnit{Index: len(units), Province: p, Regency: r, Unit: k})
			}
		}
	}
	weights := make([]float64, len(units))
	total := 0.0
	for i := range units {
		weights[i] = 0.5 + float64(mix(uint64(i)+1<<40)%1000)/1000
		total += weights[i]
	}
	assigned := 0
	for i := range units {
		n := int(float64(people)*weights[i]/total + 0.5)
		n = max(2, min(n, scaleMaxPerUnit))
		units[i].People = n
		assigned += n
	}
	// Round-off lands on the last units, within their bounds.
	for i := len(units) - 1; assigned != people && i >= 0; i-- {
		d := people - assigned
		n := max(2, min(units[i].People+d, scaleMaxPerUnit))
		assigned += n - units[i].People
		units[i].People = n
	}
	return units
}

// ScaleNIP is the valid NIP of person j of unit u: the birth date, the month
// of appointment (23 to 26 years later), gender and serial all well formed.
func ScaleNIP(u, j int) string {
	i := u*scaleMaxPerUnit + j
	serial := i%999 + 1
	gender := (i/999)%2 + 1
	rest := i / 1998
	birth := time.Date(1962, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rest)
	appointed := time.Date(birth.Year()+23, birth.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, i%36, 0)
	return fmt.Sprintf("%s%s%d%03d", birth.Format("20060102"), appointed.Format("200601"), gender, serial)
}

var (
	scaleFemale = []string{"Siti", "Sri", "Dewi", "Siti", "Nur", "Rina", "Ayu", "Fitri", "Lestari", "Wulan", "Indah",
		"Ratna", "Yuni", "Endang", "Siti", "Rahmawati", "Putri", "Dian"}
	scaleMale = []string{"Muhammad", "Ahmad", "Agus", "Budi", "Eko", "Joko", "Andi", "Dedi", "Hendra", "Rudi",
		"Bambang", "Slamet", "Yusuf", "Rizky", "Dwi", "Hadi", "Irfan", "Wahyu"}
	scaleMiddle = []string{"", "", "Nur", "Dwi", "Tri", "Aulia", "Rahma", "Putra", "Eka", "Ayu", ""}
	scaleLast   = []string{"Wahyuni", "Susanti", "Hidayat", "Saputra", "Setiawan", "Pratama", "Kurniawan", "Nugroho",
		"Santoso", "Wijaya", "Handayani", "Purnamasari", "Rahayu", "Hasibuan", "Siregar", "Nasution", "Lubis",
		"Simanjuntak", "Sinaga", "Harahap", "Pohan", "Syahputra", "Maulana", "Ramadhan", "Fauzi", "Lestari",
		"Anggraini", "Permata", "Hakim", "Firmansyah"}
	scaleUnitNames = []string{"Dinas Pendidikan", "Dinas Kesehatan", "Badan Kepegawaian Daerah", "Dinas Pekerjaan Umum",
		"Dinas Komunikasi dan Informatika", "Badan Perencanaan Pembangunan Daerah", "Dinas Sosial", "Dinas Perhubungan",
		"Dinas Kependudukan dan Pencatatan Sipil", "Inspektorat", "Dinas Pertanian", "Dinas Lingkungan Hidup",
		"Badan Pendapatan Daerah", "Dinas Penanaman Modal", "Satuan Polisi Pamong Praja", "RSUD", "Kecamatan"}
	scaleGrades = []string{"II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"}
	scalePosts  = []string{"Analis Kebijakan Ahli Muda", "Pranata Komputer Ahli Pertama", "Guru Ahli Pertama",
		"Perawat Terampil", "Pengelola Keuangan", "Analis Sumber Daya Manusia Aparatur", "Penyuluh Pertanian"}
)

// scaleName is the name of the person with NIP index i, and their gender digit.
func scaleName(i int, female bool) string {
	h := mix(uint64(i))
	first := scaleMale[h%uint64(len(scaleMale))]
	if female {
		first = scaleFemale[h%uint64(len(scaleFemale))]
	}
	parts := []string{first}
	if m := scaleMiddle[(h>>16)%uint64(len(scaleMiddle))]; m != "" {
		parts = append(parts, m)
	}
	parts = append(parts, scaleLast[(h>>32)%uint64(len(scaleLast))])
	return strings.Join(parts, " ")
}

// scaleCSV is the HR export of one province's people, in SIASN's column
// names; the first person of every unit heads it and supervises the rest.
func scaleCSV(units []ScaleUnit) []byte {
	var b bytes.Buffer
	_ = writeScaleCSV(&b, units) // a bytes.Buffer does not fail
	return b.Bytes()
}

// writeScaleCSV writes the HR export of units' people to w.
func writeScaleCSV(w io.Writer, units []ScaleUnit) error {
	b := bufio.NewWriter(w)
	b.WriteString("nip,nama,email,unit_code,jabatan,jenis_jabatan,golongan,no_hp,nip_atasan\n")
	for _, u := range units {
		head := ScaleNIP(u.Index, 0)
		for j := 0; j < u.People; j++ {
			nip := ScaleNIP(u.Index, j)
			i := u.Index*scaleMaxPerUnit + j
			name := scaleName(i, nip[14] == '2')
			email := strings.ToLower(strings.Fields(name)[0]) + "." + nip + "@" +
				strings.ToLower(strings.ReplaceAll(u.Code(), "-", "")) + ".go.id"
			post, kind, sup := scalePosts[i%len(scalePosts)], "fungsional", head
			if j == 0 {
				post, kind, sup = "Kepala "+scaleUnitNames[u.Unit%len(scaleUnitNames)], "struktural", ""
			}
			fmt.Fprintf(b, "%s,%s,%s,%s,%s,%s,%s,0812%08d,%s\n", nip, name, email, u.Code(), post, kind,
				scaleGrades[i%len(scaleGrades)], i%100000000, sup)
		}
	}
	return b.Flush()
}
