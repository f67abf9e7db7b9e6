# syntax=docker/dockerfile:1
#
# Builds the single corpu binary (API server, worker and CLI in one) and ships
# it on a distroless base with nothing else in the image: no shell, no package
# manager. Container health is checked by `corpu healthcheck`, not by curl.

FROM golang:1.26-bookworm AS build
WORKDIR /src

# Module downloads are cached in their own layer, rebuilt only when the module
# graph changes.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/corpu ./cmd/corpu
# The shared signing-key directory; a volume mounted on it starts as this copy.
RUN mkdir -p /out/keys && chmod 700 /out/keys

FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/corpu /corpu
COPY configs/corpu.yaml /etc/corpu/corpu.yaml
COPY --from=build --chown=65532:65532 /out/keys /var/lib/corpu/keys

EXPOSE 8080 9090
USER nonroot
ENTRYPOINT ["/corpu"]
CMD ["serve"]
