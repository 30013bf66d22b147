# The container `nx e2e e2e --configuration=compose` runs the scenarios in:
# Node to run jest, and the docker CLI with the compose plugin so scenarios
# can kill, pause and restart the compose services (through the mounted socket).
FROM docker:27.5-cli AS docker
FROM node:20.19-bookworm-slim
COPY --from=docker /usr/local/bin/docker /usr/local/bin/docker
COPY --from=docker /usr/local/libexec/docker/cli-plugins/docker-compose /usr/local/libexec/docker/cli-plugins/docker-compose
