# syntax=docker/dockerfile:1
# Gantry's container image for hosts with Docker (BuildKit) or Podman:
#
#   docker build -t gantry \
#     --build-arg VERSION="$(mvn -q help:evaluate -Dexpression=project.version -DforceStdout)" \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# It needs a registry to pull its base images from. Where none is reachable,
# image/build.sh makes the equivalent image from the Debian mirror alone
# (docs/image.md compares the two).

# --- build: Maven and a JDK ------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY schema schema
COPY proxy-server proxy-server
COPY conf conf
# Tests run in CI against real registries and clients, not here; mdep.skip
# leaves out the S3 test server the test phase would fetch.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -Dmaven.test.skip=true -Dmdep.skip=true package \
 && mkdir -p /out/var/lib/gantry

# --- run: a JRE and nothing else (no shell, no package manager) --------------
FROM gcr.io/distroless/java17-debian12:nonroot

ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="Gantry" \
      org.opencontainers.image.description="Hardware-aware OCI registry pull-through mirror" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="NOASSERTION"

# Least often changed first: the configuration and the data directory, then
# the jar alone in the last layer, so a new build ships one layer.
COPY --chown=0:0 --chmod=0644 image/gantry.yaml /etc/gantry/gantry.yaml
COPY --from=build --chown=65532:65532 /out/var/lib/gantry /var/lib/gantry
COPY --from=build --chown=0:0 --chmod=0644 /src/proxy-server/target/gantry.jar /opt/gantry/gantry.jar

ENV LANG=C.UTF-8
USER 65532:65532
WORKDIR /var/lib/gantry
VOLUME ["/var/lib/gantry"]
EXPOSE 5000
# bin/gantry's JVM flags (ContainerImageIT and DockerfileTest check they stay
# the same). JAVA_TOOL_OPTIONS adds others; changing one of these takes
# --entrypoint, as flags on the command line win (docs/image.md).
ENTRYPOINT ["/usr/bin/java", "-Xms64m", "-Xmx192m", "-XX:MaxDirectMemorySize=96m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-Dio.netty.allocator.maxOrder=9", "-Djava.net.preferIPv4Stack=true", "-jar", "/opt/gantry/gantry.jar"]
CMD ["serve", "--config", "/etc/gantry/gantry.yaml"]
