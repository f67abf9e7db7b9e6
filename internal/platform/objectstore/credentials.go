package objectstore

import (
	"errors"
	"net/http"

	"github.com/minio/minio-go/v7"
)

// refusedCredentials reports whether err is the S3 server saying it does not
// accept the access key or its secret: the server answered, so it is not
// "unreachable", and the fix is in the configuration.
func refusedCredentials(err error) bool {
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		return false
	}
	switch resp.Code {
	case "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidClientTokenId", "AccessDenied",
		"XAdminUserNotFound": // the Versity gateway's word for an unknown access key
		return true
	}
	// A HEAD request (BucketExists) gets no error body, only the status.
	return resp.StatusCode == http.StatusForbidden
}
