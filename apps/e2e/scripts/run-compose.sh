#!/usr/bin/env bash
# `npx nx e2e e2e --configuration=compose`: the scenarios against the cluster
# of deploy/docker-compose.yml (etcd, a coordinator, six datanodes). Needs a
# Docker engine with the compose plugin, and `npm ci && npx nx run-many -t build`
# done in this checkout. It brings the project up (building the images), runs
# the scenarios in a container on the project's network, so the datanodes'
# advertised names resolve, with the Docker socket mounted so scenarios can
# kill, pause and restart services, and brings everything down again.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
project="dfs-e2e"
compose_file="$root/deploy/docker-compose.yml"
dc() { docker compose -p "$project" -f "$compose_file" "$@"; }
trap 'dc down -v --remove-orphans' EXIT

dc up --build --wait
network="$(docker network ls --filter "label=com.docker.compose.project=$project" --format '{{.Name}}' | head -n 1)"
docker build -t dfs-e2e-runner -f "$root/deploy/docker/e2e-runner.Dockerfile" "$root/deploy/docker"
docker run --rm --network "$network" \
  -v /var/run/docker.sock:/var/run/docker.sock -v "$root:/repo" -w /repo/apps/e2e \
  -e E2E_TARGET=compose -e E2E_COORDINATOR=coordinator:8080 \
  -e E2E_COMPOSE_FILE=/repo/deploy/docker-compose.yml -e COMPOSE_PROJECT_NAME="$project" \
  dfs-e2e-runner npx jest --config jest.config.cjs --runInBand "$@"
