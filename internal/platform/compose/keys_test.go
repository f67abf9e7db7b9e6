package compose

import "testing"

func TestAPIAndWorkerShareOneSigningKeyDirectory(t *testing.T) {
	t.Parallel()
	project := loadProject(t)
	for _, app := range appServices {
		s := service(t, project, app)
		dir := s.Environment["CORPU_AUTH_SIGNING_KEY_DIR"]
		if dir == nil || *dir == "" {
			t.Errorf("%s CORPU_AUTH_SIGNING_KEY_DIR = unset: each process would sign with a key of its own", app)
			continue
		}
		shared := false
		for _, v := range s.Volumes {
			if v.Type == "volume" && v.Source == "keys" && v.Target == *dir {
				shared = true
			}
		}
		if !shared {
			t.Errorf("%s volumes = %+v, want the named volume keys at %s", app, s.Volumes, *dir)
		}
	}
}
