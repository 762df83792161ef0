# Local stand-in for golang:1.24-bookworm (test/docker/bases.sh --go): Debian minbase + gcc (CGO,
# for rqlited's SQLite) + the Go toolchain from the Go module proxy. Build context: a dir with `go/`.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY go/ /usr/local/go/
ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GOTOOLCHAIN=local
RUN go version
