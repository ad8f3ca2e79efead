# Sourced by the scripts that read JSON: their one JSON extractor, with jq
# when it is installed and python3 otherwise (one of the two is on every
# machine the scripts run on: python3 comes with the test prerequisites and
# the AWS CLI).
#
# Both find the first value of KEY in the document, searched depth-first with
# the top level first (so a field of a log line's span is found too), and
# print nothing when KEY is absent or null, or the document is not JSON.

# json_get [--json] JSON KEY: the value as text (a string without its
# quotes, anything else as compact JSON); with --json always as compact JSON,
# so a string keeps its quotes.
json_get() {
  local mode=text
  if [ "$1" = --json ]; then mode=json; shift; fi
  json_find "$mode" "$1" "$2"
}

# json_entries JSON KEY: the object at KEY, one `name=value` line a member.
json_entries() { json_find entries "$1" "$2"; }

# json_item JSON KEY FIELD VALUE: the first object of the array at KEY whose
# FIELD is the string VALUE, as compact JSON.
json_item() { json_find item "$1" "$2" "$3" "$4"; }

# json_find MODE JSON KEY [FIELD VALUE]
json_find() {
  if command -v jq >/dev/null 2>&1; then
    jq -r --arg mode "$1" --arg key "$3" --arg field "${4:-}" --arg value "${5:-}" '
      first(.. | objects | select(has($key)) | .[$key]) | select(. != null)
      | if $mode == "entries" then to_entries[] | "\(.key)=\(.value)"
        elif $mode == "item" then first(.[] | select(.[$field] == $value)) | tojson
        elif type == "string" and $mode == "text" then .
        else tojson end' <<<"$2" 2>/dev/null || true
  else
    python3 -c '
import json, sys

def find(value, key):
    if isinstance(value, dict):
        if key in value:
            return [value[key]]
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return []
    for child in children:
        found = find(child, key)
        if found:
            return found
    return []

mode, key = sys.argv[1], sys.argv[2]
try:
    found = find(json.loads(sys.stdin.read()), key)
except ValueError:
    sys.exit(0)
if not found or found[0] is None:
    sys.exit(0)
value = found[0]
if mode == "entries":
    for name, member in value.items():
        print(f"{name}={member}")
elif mode == "item":
    for element in value:
        if isinstance(element, dict) and element.get(sys.argv[3]) == sys.argv[4]:
            print(json.dumps(element, separators=(",", ":")))
            break
elif isinstance(value, str) and mode == "text":
    print(value)
else:
    print(json.dumps(value, separators=(",", ":")))' "$1" "$3" "${4:-}" "${5:-}" <<<"$2"
  fi
}
