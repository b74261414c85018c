# phonecheck with Redis sharing, for docs/kubernetes.yaml: `docker build -t phonecheck .`
#
# Dependencies are compiled in a layer of their own (cargo-chef's recipe holds only the
# manifests), so a change to phonecheck's code rebuilds phonecheck, not its ~400 crates.
# No HEALTHCHECK: Kubernetes probes health over gRPC (grpc.health.v1, see the manifest).

FROM rust:1-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=plan /src/recipe.json recipe.json
RUN cargo chef cook --release --features redis --bin phonecheck --recipe-path recipe.json
COPY . .
RUN cargo build --release --features redis --bin phonecheck

# A small runtime: glibc, CA certificates and a non-root user (65532), no shell, no package
# manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/phonecheck /usr/local/bin/phonecheck
USER nonroot
WORKDIR /home/nonroot
# The SQLite job store, when no --database-url is given: in the user's own home.
ENV PHONECHECK_DATA_DIR=/home/nonroot/phonecheck-data
EXPOSE 50051
ENTRYPOINT ["/usr/local/bin/phonecheck"]
CMD ["serve", "--listen=0.0.0.0:50051"]
