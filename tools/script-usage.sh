# Sourced by the scripts under tools/, first thing: `--help` (or -h) prints the script's header
# comment and exits 0; any other argument is refused in one line, exit 2. Either way nothing is
# installed. The scripts take no arguments (their settings are environment variables, named in
# their header).
script_usage() {
  local script="$1"
  shift
  local shown
  shown="tools/$(basename "$(dirname "$script")")/$(basename "$script")"
  [[ $# -eq 0 ]] && return 0
  case "$1" in
    -h | --help)
      echo "usage: bash $shown"
      # The comment block after the shebang, without its "# ".
      sed -n '2,/^[^#]/{/^#/{s/^# \{0,1\}//;p;};}' "$script"
      exit 0
      ;;
    *)
      echo "error: bash $shown takes no arguments (found '$1'); --help says what it does" >&2
      exit 2
      ;;
  esac
}
