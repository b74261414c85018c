# phonecheck with Redis sharing, for docs/kubernetes.yaml.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --features redis --bin phonecheck

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/phonecheck /usr/local/bin/phonecheck
EXPOSE 50051
ENTRYPOINT ["phonecheck"]
CMD ["serve", "--listen=0.0.0.0:50051"]
