#!/usr/bin/env bash
# Lints the Step Functions definitions in infra/statemachine/ with asl-validator (.ci/run
# installs it; ASL_VALIDATOR names the binary, default: the one on PATH).
#
# Each *.asl.json is checked twice: as written, and with its ${Name} DefinitionSubstitutions
# replaced by syntactically valid dummies (what Step Functions sees after CloudFormation; a
# placeholder inside an intrinsic function or an ARN must still parse then). It also checks
# that the definition's placeholders are exactly the DefinitionSubstitutions keys of
# infra/template.yaml, so neither side can drift: an unsubstituted ${Name} is deployed
# verbatim and fails only at run time.
set -euo pipefail
cd "$(dirname "$0")/../.."
validator="${ASL_VALIDATOR:-asl-validator}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Dummies: account 123456789012, stage ci.
dummy() {
  case "$1" in
    RegenerateFunctionArn) echo "arn:aws:lambda:us-east-1:123456789012:function:framewise-ci-regenerate" ;;
    ArtifactBucket) echo "framewise-ci-123456789012-us-east-1" ;;
    SparkApplicationId) echo "00fabcdef0123456" ;;
    SparkJobRoleArn) echo "arn:aws:iam::123456789012:role/framewise-ci-spark" ;;
    DefaultShardSize) echo "1000" ;;
    DefaultMaxConcurrency) echo "20" ;;
    *) echo "tests/asl/lint.sh: no dummy value for \${$1}; add one" >&2; return 1 ;;
  esac
}

# The keys under DefinitionSubstitutions: in the template (one block, "Key: value" lines
# indented deeper than the block's own line).
template_keys=$(awk '
  /^ *DefinitionSubstitutions:/ { inside = 1; indent = match($0, /[^ ]/); next }
  inside { i = match($0, /[^ ]/); if (i <= indent) { inside = 0; next } sub(/^ */, ""); sub(/:.*/, ""); print }
' infra/template.yaml | sort -u)

status=0
for file in infra/statemachine/*.asl.json; do
  "$validator" --json-path "$file"
  placeholders=$(grep -o '\${[A-Za-z0-9]*}' "$file" | tr -d '${}' | sort -u)
  if [ "$placeholders" != "$template_keys" ]; then
    echo "$file: placeholders [$(echo $placeholders)] differ from the DefinitionSubstitutions of infra/template.yaml [$(echo $template_keys)]" >&2
    status=1
  fi
  substituted="$tmp/$(basename "$file")"
  cp "$file" "$substituted"
  for name in $placeholders; do
    value=$(dummy "$name")
    sed -i "s|\${$name}|$value|g" "$substituted"
  done
  echo "with dummy substitutions:"
  "$validator" --json-path "$substituted"
done
exit "$status"
