# Sourced before each buildspec command (/bin/sh): saves, when the command's shell exits, the working
# directory and the variables (exported ones exported again); functions, options and traps never carry.
__codebuild_save() {
  {
    printf "cd '%s'\n" "$(printf %s "$PWD" | sed "s/'/'\\\\''/g")"
    set | grep -v '^__codebuild_'
    export -p
  } >"$__codebuild_state"
}
trap '__codebuild_status=$?; __codebuild_save; exit $__codebuild_status' EXIT
