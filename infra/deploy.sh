#!/usr/bin/env bash
# Deploys Siphon to Azure in one command: creates the resource group if needed, deploys
# infra/main.bicep, builds the code and publishes it to the Flex Consumption Function App.
#
#   infra/deploy.sh --resource-group rg-siphon --location westeurope --alert-email data-team@example.com \
#     --entra-client-id <app registration's client id>
#
# Needs: Azure CLI 2.60 or newer (signed in with `az login`; it compiles the Bicep itself),
# Node.js 20 or 22 + npm, zip. The signed-in user needs Owner (or Contributor + Role Based Access
# Control Administrator) on the resource group, because the templates assign roles to the app's
# identity (and, when you set source secrets here, Key Vault Secrets Officer to you).
#
# Order, so that the first run after a deploy reads real connection strings: templates (vault, app
# with its Key Vault references, the app identity's roles) -> source secrets (offered when run in a
# terminal) -> code -> Key Vault references refreshed and waited for. The references cannot come
# after the vault role in the templates: the role needs the system-assigned identity, which exists
# only once the app (with its settings) does. So the script refreshes them afterwards, which
# Microsoft documents: "To force resolution of your app's Key Vault references, make an
# authenticated POST request to the API endpoint https://management.azure.com/[Resource ID]/config/
# configreferences/appsettings/refresh?api-version=2022-03-01" (MicrosoftDocs/azure-docs,
# articles/app-service/app-service-key-vault-references.md, "Understand rotation"; without it the
# platform caches a reference, resolved or not, for up to 24 hours).
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
      --key-vault-name NAME   Key Vault name instead of the derived one (e.g. when the derived
                              one is held by a soft-deleted vault: infra/README.md)
      --skip-secrets          do not offer to set the source connection strings (no terminal:
                              never offered)
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
key_vault_name=""
skip_secrets=false
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
    --key-vault-name) key_vault_name="$2"; shift 2 ;;
    --skip-secrets) skip_secrets=true; shift ;;
    --what-if) what_if=true; shift ;;
    --infra-only) deploy_code=false; shift ;;
    --code-only) deploy_infra=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

fail() { echo "deploy.sh: $*" >&2; exit 1; }
step() { echo; echo "==> $*"; }

# The Azure CLI first, before anything else calls it: Flex Consumption's deployment (config-zip to
# the plan's deployment container) needs 2.60 or newer.
min_az_version="2.60.0"
check_az_version() {
  command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is not installed: https://learn.microsoft.com/cli/azure/install-azure-cli"
  local version
  version="$(az version --query '"azure-cli"' --output tsv 2>/dev/null)" || fail "could not read the Azure CLI version ('az version' failed)"
  if [[ ! "$version" =~ ^[0-9]+\.[0-9]+ ]] || [[ "$(printf '%s\n%s\n' "$min_az_version" "$version" | sort -V | head -n1)" != "$min_az_version" ]]; then
    fail "Azure CLI $version is too old: Flex Consumption deployments need $min_az_version or newer. Run 'az upgrade'."
  fi
}
check_az_version

# Bounded, visible waiting for role assignments to apply (they can take minutes after the
# templates create them): run the command every retry_interval seconds, printing each attempt,
# until it succeeds or role_wait_seconds (10 minutes) have passed.
role_wait_seconds=600
retry_interval=20
retry_until_roles_apply() {
  local what="$1"; shift
  local started=$SECONDS attempt=1
  while true; do
    if "$@"; then return 0; fi
    local elapsed=$((SECONDS - started))
    if (( elapsed + retry_interval > role_wait_seconds )); then
      echo "  $what: attempt $attempt failed; gave up after ${elapsed}s (limit ${role_wait_seconds}s)" >&2
      return 1
    fi
    echo "  $what: attempt $attempt failed after ${elapsed}s; retrying in ${retry_interval}s while role assignments apply (limit ${role_wait_seconds}s)"
    sleep "$retry_interval"
    attempt=$((attempt + 1))
  done
}

# A template parameter's value as this deployment gives it: the last --set, else the parameters file.
parameter_value() {
  local name="$1" value="" override
  for override in "${overrides[@]+"${overrides[@]}"}"; do
    [[ "$override" == "$name="* ]] && value="${override#*=}"
  done
  if [[ -z "$value" && -f "$parameters_file" ]]; then
    value="$(node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).parameters ?? {}; const v = p[process.argv[2]]?.value; process.stdout.write(v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));' "$parameters_file" "$name")"
  fi
  printf '%s' "$value"
}

[[ -n "$resource_group" ]] || fail "--resource-group is required"
for tool in node npm zip; do
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
  [[ -n "$key_vault_name" ]] && deployment_args+=(--parameters "keyVaultName=$key_vault_name")
  for override in "${overrides[@]+"${overrides[@]}"}"; do
    deployment_args+=(--parameters "$override")
  done

  if $what_if; then
    step "What the deployment would change"
    az deployment group what-if "${deployment_args[@]}"
    exit 0
  fi

  # Virtual network integration on Flex Consumption delegates the subnet to Microsoft.App/
  # environments: "Ensure that the Microsoft.App Azure resource provider is enabled for your
  # subscription" (MicrosoftDocs/azure-docs, articles/azure-functions/flex-consumption-plan.md).
  # A template deployment does not register it the way the portal does.
  if [[ "$(parameter_value vnetEnabled)" == "true" ]]; then
    step "Registering the Microsoft.App resource provider (vnetEnabled)"
    az provider register --namespace Microsoft.App --wait
  fi

  # A soft-deleted vault holds its name for 90 days and purge protection forbids purging it, so a
  # deployment that derives that name again fails late and obscurely. Say so first.
  deleted_vault="$(az keyvault list-deleted --query '[].[name, properties.vaultId]' --output tsv 2>/dev/null \
    | awk -v rg="/resourcegroups/$(printf '%s' "$resource_group" | tr '[:upper:]' '[:lower:]')/providers/microsoft.keyvault/vaults/" -v name="$key_vault_name" \
      '(name != "" ? $1 == name : index(tolower($2), rg) > 0) { print $1; exit }')" || deleted_vault=""
  if [[ -n "$deleted_vault" ]]; then
    fail "Key Vault $deleted_vault of resource group $resource_group is soft-deleted and holds its name (purge protection: it cannot be purged). Recover it with 'az keyvault recover --name $deleted_vault' and run this again, or give --key-vault-name <another name> (infra/README.md, \"A deleted vault\")."
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
vault_name="$(output keyVaultName)"

# Source connection strings, offered right after the templates so the first run reads real ones.
# Only in a terminal, never with --skip-secrets; read with `read -s` (not echoed), written through a
# file readable by this user only (never on a command line, where other processes could see it).
# (The az calls read /dev/null: the loop below feeds its own stdin, which they must not consume.)
set_source_secret() { az keyvault secret set --vault-name "$vault_name" --name "$1" --file "$2" --encoding utf-8 --output none </dev/null; }
offer_source_secrets() {
  local connections
  connections="$(parameter_value sourceConnections)"
  [[ -n "$connections" && "$connections" != "[]" ]] || return 0
  if [[ "$(parameter_value vnetEnabled)" == "true" ]]; then
    echo "The vault accepts traffic from its private endpoint only (vnetEnabled): set the source secrets from inside the network (infra/README.md)."
    return 0
  fi
  step "Source connection strings (Key Vault $vault_name)"
  echo "Paste each connection string (not shown); press Enter alone to keep the secret as it is."
  local me
  me="$(az ad signed-in-user show --query id --output tsv 2>/dev/null)" || me=""
  if [[ -n "$me" ]]; then
    az role assignment create --assignee-object-id "$me" --assignee-principal-type User --role "Key Vault Secrets Officer" \
      --scope "$(az keyvault show --name "$vault_name" --query id --output tsv)" --output none \
      || echo "Could not give you Key Vault Secrets Officer on $vault_name; setting secrets may be refused."
  fi
  local secret_dir
  secret_dir="$(umask 077 && mktemp -d)"
  local setting secret_name value exists
  while IFS=$'\t' read -r setting secret_name; do
    [[ -n "$secret_name" ]] || continue
    exists="$(az keyvault secret show --vault-name "$vault_name" --name "$secret_name" --query id --output tsv </dev/null 2>/dev/null)" || exists=""
    value=""
    read -r -s -p "  $setting (secret $secret_name${exists:+, already set}): " value </dev/tty
    echo
    [[ -n "$value" ]] || continue
    (umask 077 && printf '%s' "$value" >"$secret_dir/value")
    value=""
    retry_until_roles_apply "setting secret $secret_name" set_source_secret "$secret_name" "$secret_dir/value" \
      || { rm -rf "$secret_dir"; fail "could not set secret $secret_name in $vault_name (you need Key Vault Secrets Officer on it)"; }
    rm -f "$secret_dir/value"
    echo "  $secret_name set"
  done < <(node -e 'for (const c of JSON.parse(process.argv[1])) console.log(`${c.setting}\t${c.secretName}`);' "$connections")
  rm -rf "$secret_dir"
}
if $deploy_infra; then
  if $skip_secrets; then
    echo "Source secrets not offered (--skip-secrets)."
  elif [[ -t 0 && -t 1 ]]; then
    offer_source_secrets
  else
    echo "Not a terminal: source secrets not offered; set them with 'az keyvault secret set' (infra/README.md), then run with --infra-only to refresh the app's references."
  fi
fi

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
  # the first deployment its role assignment can take minutes to apply, hence the bounded retry.
  retry_until_roles_apply "publishing" az functionapp deployment source config-zip \
    --resource-group "$resource_group" --name "$app_name" --src "$package" --output none \
    || fail "publishing failed for ${role_wait_seconds}s; run again with --code-only"
fi

# Key Vault references: refresh them now that the vault role and the secrets exist (see the top),
# then wait, bounded, while the app's vault role applies. The status per setting comes from
# GET .../config/configreferences/appsettings (REST: Web Apps - Get App Settings Key Vault
# References); AccessToKeyVaultDenied and the like mean the role has not applied yet.
references_resolved() {
  local app_id="$1" statuses
  az rest --method post --url "https://management.azure.com${app_id}/config/configreferences/appsettings/refresh?api-version=2022-03-01" --output none 2>/dev/null || return 1
  statuses="$(az rest --method get --url "https://management.azure.com${app_id}/config/configreferences/appsettings?api-version=2022-03-01" \
    --query "value[].[name, properties.status]" --output tsv 2>/dev/null)" || return 1
  echo "$statuses" | sed 's/^/    /'
  reference_statuses="$statuses"
  # Waiting helps only while access is being granted; a missing secret needs you, not time.
  ! echo "$statuses" | grep -Eq $'\t(Initialized|AccessToKeyVaultDenied|FetchTimedOut|OtherReasons)$'
}
reference_statuses=""
if $deploy_infra && [[ -n "$(parameter_value sourceConnections | tr -d '[] ')" ]]; then
  step "Refreshing the app's Key Vault references"
  app_id="$(az functionapp show --resource-group "$resource_group" --name "$app_name" --query id --output tsv)"
  retry_until_roles_apply "Key Vault references" references_resolved "$app_id" \
    || true
  if [[ -z "$reference_statuses" ]] || echo "$reference_statuses" | grep -qv $'\tResolved$'; then
    echo "Some Key Vault references are not resolved (above): a source whose reference is unresolved sees the literal @Microsoft.KeyVault(...) text. Set the missing secrets, then run again with --infra-only."
  fi
fi

step "Done"
cat <<EOF
Function App   $app_name  ($(output functionAppUrl))
Key Vault      $(output keyVaultName)
Data lake      $(output dataLakeName)
App Insights   $(output appInsightsName)

Source connection strings live in Key Vault under the secret names sourceConnections maps them
to; to change one later, set it (az keyvault secret set --vault-name $vault_name --name <secret>
--file <file holding it>) and run this script with --infra-only, which refreshes the references.
Sign in to the dashboard at $(output functionAppUrl)/api/ui/ with an account that holds the
Siphon.Reader or Siphon.Operator app role; the CLI and automation use an Entra ID token for
api://<client id>/.default (README: Sign-in and roles). There are no function keys.
EOF
