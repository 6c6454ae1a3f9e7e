# syntax=docker/dockerfile:1
# steadyproxy on Debian 12, in three stages:
#   www     builds the admin web pages (www/dist) with Debian's Node.js and npm
#   build   builds the server and its plugins with CMake and installs them into /install
#   runtime only the runtime libraries, the binary, the plugins, the pages and the default
#           configuration; runs as the unprivileged user `steadyproxy`; state in a volume
#
#   docker build -t steadyproxy .
#   docker run -d -e DOMAIN=example.com -e ADMIN_PASSWORD='a long secret' \
#     -p 127.0.0.1:8000:8000 -p 9001-9100:9001-9100 -v steadyproxy-data:/var/lib/steadyproxy steadyproxy
#
# conf/docker-compose.yml runs it behind Traefik; docs/deploy.md explains the choices.

ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------- www
FROM ${DEBIAN_IMAGE} AS www
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src/www
COPY www/package.json www/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY www/ ./
RUN npm run build

# -------------------------------------------------------------------------------- build
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      cmake make g++ pkg-config libpoco-dev libyaml-cpp-dev libcppunit-dev \
      libargon2-dev libssl-dev libsqlite3-dev libcrypt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY sdk/ sdk/
COPY kernel/ kernel/
COPY plugins/ plugins/
COPY conf/steadyproxy.yaml conf/steadyproxy.yaml
COPY --from=www /src/www/dist/ www/dist/
# Installed under /usr with plugins in /usr/lib/steadyproxy/plugins (where the kernel
# looks) and the pages in /usr/share/steadyproxy/www; no tests in the image.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DSTEADYPROXY_BUILD_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/install cmake --install /build \
 && /install/usr/bin/steadyproxy version

# ------------------------------------------------------------------------------ runtime
FROM ${DEBIAN_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpocofoundation80 libpocoutil80 libpocoxml80 libpoconet80 libpoconetssl80 \
      libpocojson80 libpococrypto80 libpocodata80 libpocodatasqlite80 \
      libyaml-cpp0.7 libargon2-1 libssl3 libsqlite3-0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 steadyproxy \
 && useradd --system --uid 10001 --gid steadyproxy --home-dir /var/lib/steadyproxy \
      --shell /usr/sbin/nologin steadyproxy \
 && install -d -o steadyproxy -g steadyproxy -m 0750 /var/lib/steadyproxy /var/lib/steadyproxy-router

COPY --from=build /install/usr/bin/steadyproxy /usr/bin/steadyproxy
COPY --from=build /install/usr/lib/steadyproxy/ /usr/lib/steadyproxy/
COPY --from=build /install/usr/share/steadyproxy/ /usr/share/steadyproxy/
COPY --from=build /install/etc/steadyproxy/ /etc/steadyproxy/

# The admin server listens on all addresses inside the container (publish it on loopback
# or put it behind a router); data and the router's output live in volumes.
ENV STEADYPROXY_CONFIG=/etc/steadyproxy/steadyproxy.yaml \
    STEADYPROXY_DATA_DIR=/var/lib/steadyproxy \
    STEADYPROXY_ADMIN_HOST=0.0.0.0
VOLUME ["/var/lib/steadyproxy"]
WORKDIR /var/lib/steadyproxy
USER steadyproxy:steadyproxy
EXPOSE 8000 9001-9100
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/steadyproxy"]
CMD ["serve"]
