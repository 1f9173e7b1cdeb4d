# syntax=docker/dockerfile:1
# A static `tailor` (musl) in a distroless image: no shell, no package manager, non-root
# (65532), meant to run with a read-only root file system (deploy/ sets it).
#
#   docker build --build-arg TAILOR_GIT_COMMIT=$(git rev-parse --short=12 HEAD) -t tailor .
#
# Not built in this repository's CI (its machines run no Docker engine); `scripts/release`
# builds the same static binary there.

FROM docker.io/library/rust:1.95-slim-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl \
 && apt-get update \
 && apt-get install -y --no-install-recommends musl-tools make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG TAILOR_GIT_COMMIT=unknown
ENV TAILOR_GIT_COMMIT=${TAILOR_GIT_COMMIT}
RUN cargo build --release --locked -p tailor-cli --target x86_64-unknown-linux-musl \
 && install -D -m 0755 target/x86_64-unknown-linux-musl/release/tailor /out/tailor

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="tailor" \
      org.opencontainers.image.description="Least privilege, tailored to each Kubernetes workload." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/tailor-sec/tailor"
COPY --from=build /out/tailor /usr/local/bin/tailor
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tailor"]
CMD ["--help"]
