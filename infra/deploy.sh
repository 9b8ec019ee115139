#!/usr/bin/env bash
# Deploys Siphon to Azure in one command: creates the resource group if needed, deploys
# infra/main.bicep, builds the code and publishes it to the Flex Consumption Function App.
#
#   infra/deploy.sh --resource-group rg-siphon --location westeurope --alert-email data-team@example.com \
#     --entra-client-id <app registration's client id>
#
# Needs: Azure CLI (signed in with `az login`; it compiles the Bicep itself), Node.js 20 + npm, zip.
# The signed-in user needs Owner (or Contributor + Role Based Access Control Administrator) on the
# resource group, because the templates assign roles to the app's identity.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: infra/deploy.sh -g <resource-group> -e <alert-email> -c <entra-client-id> [options]

  -g, --resource-group NAME   resource group (created when missing)        [$SIPHON_RESOURCE_GROUP]
  -l, --location REGION       region, needed when the group does not exist [$SIPHON_LOCATION]
  -e, --alert-email EMAIL     receives the run-failure and poison alerts    [$SIPHON_ALERT_EMAIL]
  -c, --entra-client-id ID    client id of the app registration callers sign in to
                              (README: Sign-in and roles)                   [$SIPHON_ENTRA_CLIENT_ID]
  -p, --parameters FILE       parameters file (default infra/main.parameters.json)
      --set NAME=VALUE        override one template parameter (repeatable)
      --what-if               show what the infrastructure deployment would change, then stop
      --infra-only            deploy the templates, skip building and publishing the code
      --code-only             build and publish the code to the app of the last deployment
  -h, --help                  this text
USAGE
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
resource_group="${SIPHON_RESOURCE_GROUP:-}"
location="${SIPHON_LOCATION:-}"
alert_email="${SIPHON_ALERT_EMAIL:-}"
entra_client_id="${SIPHON_ENTRA_CLIENT_ID:-}"
parameters_file="$repo_root/infra/main.parameters.json"
overrides=()
what_if=false
deploy_infra=true
deploy_code=true
# One deployment name per resource group, so --code-only can read the last deployment's outputs.
deployment_name="siphon-main"

while [[ $# -gt 0 ]]; do
  case "$1" in
    -g|--resource-group) resource_group="$2"; shift 2 ;;
    -l|--location) location="$2"; shift 2 ;;
    -e|--alert-email) alert_email="$2"; shift 2 ;;
    -c|--entra-client-id) entra_client_id="$2"; shift 2 ;;
    -p|--parameters) parameters_file="$2"; shift 2 ;;
    --set) overrides+=("$2"); shift 2 ;;
    --what-if) what_if=true; shift ;;
    --infra-only) deploy_code=false; shift ;;
    --code-only) deploy_infra=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

fail() { echo "deploy.sh: $*" >&2; exit 1; }
step() { echo; echo "==> $*"; }

[[ -n "$resource_group" ]] || fail "--resource-group is required"
for tool in az node npm zip; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done
az account show --output none 2>/dev/null || fail "not signed in to Azure: run 'az login' (and 'az account set --subscription ...')"
echo "Subscription: $(az account show --query '[name, id]' --output tsv | paste -sd ' ')"

cd "$repo_root"

if $deploy_infra; then
  [[ -n "$alert_email" ]] || fail "--alert-email is required to deploy the infrastructure"
  [[ -n "$entra_client_id" ]] || fail "--entra-client-id is required to deploy the infrastructure: the app registration callers sign in to (README: Sign-in and roles)"
  [[ -f "$parameters_file" ]] || fail "no parameters file at $parameters_file"

  if [[ "$(az group exists --name "$resource_group")" != "true" ]]; then
    [[ -n "$location" ]] || fail "resource group $resource_group does not exist: give --location to create it"
    step "Creating resource group $resource_group in $location"
    az group create --name "$resource_group" --location "$location" --output none
  fi

  deployment_args=(
    --resource-group "$resource_group"
    --template-file "$repo_root/infra/main.bicep"
    --parameters "@$parameters_file"
    --parameters "alertEmail=$alert_email"
    --parameters "entraClientId=$entra_client_id"
  )
  [[ -n "$location" ]] && deployment_args+=(--parameters "location=$location")
  for override in "${overrides[@]+"${overrides[@]}"}"; do
    deployment_args+=(--parameters "$override")
  done

  if $what_if; then
    step "What the deployment would change"
    az deployment group what-if "${deployment_args[@]}"
    exit 0
  fi

  step "Deploying infra/main.bicep to $resource_group"
  az deployment group create --name "$deployment_name" "${deployment_args[@]}" --output none
fi

output() {
  az deployment group show --resource-group "$resource_group" --name "$deployment_name" \
    --query "properties.outputs.$1.value" --output tsv
}
app_name="$(output functionAppName)" || fail "no deployment $deployment_name in $resource_group: deploy the infrastructure first"
[[ -n "$app_name" ]] || fail "deployment $deployment_name has no functionAppName output"

if $deploy_code; then
  step "Building"
  npm ci --no-audit --no-fund
  npm run build

  step "Packaging (compiled code, host.json, production dependencies)"
  staging="$(mktemp -d)"
  trap 'rm -rf "$staging"' EXIT
  # The app is dist/functions (package.json "main"), the dist/src it imports and the built
  # dashboard dist/ui (served by the app at /api/ui/); not dist/bench.
  mkdir -p "$staging/dist"
  cp -R dist/functions dist/src dist/ui "$staging/dist/"
  cp host.json package.json package-lock.json "$staging/"
  # Production dependencies only, installed from the lock file for the Linux x64 workers, whatever
  # machine builds the package: snappy's native binary comes as a per-platform npm package, and
  # one built for macOS would leave Azure on the slower JavaScript fallback.
  (cd "$staging" && npm ci --omit=dev --os=linux --cpu=x64 --libc=glibc --no-audit --no-fund --loglevel=error)
  package="$staging/siphon.zip"
  (cd "$staging" && zip -qr "$package" dist host.json package.json node_modules)
  echo "Package: $(du -h "$package" | cut -f1)"

  step "Publishing to $app_name"
  # Flex Consumption deploys the package to its deployment container with the app's identity; on
  # the first deployment the role assignment can take a minute or two to apply, hence the retries.
  for attempt in 1 2 3 4; do
    if az functionapp deployment source config-zip --resource-group "$resource_group" --name "$app_name" --src "$package" --output none; then
      break
    fi
    [[ $attempt -lt 4 ]] || fail "publishing failed $attempt times"
    echo "Publishing failed (attempt $attempt); retrying in 30 s while role assignments propagate"
    sleep 30
  done
fi

step "Done"
cat <<EOF
Function App   $app_name  ($(output functionAppUrl))
Key Vault      $(output keyVaultName)
Data lake      $(output dataLakeName)
App Insights   $(output appInsightsName)

Next: put each source connection string in Key Vault under the secret name that
sourceConnections maps it to, for example
  az keyvault secret set --vault-name $(output keyVaultName) --name siphon-source-sales --value '<connection string>'
Sign in to the dashboard at $(output functionAppUrl)/api/ui/ with an account that holds the
Siphon.Reader or Siphon.Operator app role; the CLI and automation use an Entra ID token for
api://<client id>/.default (README: Sign-in and roles). There are no function keys.
EOF
