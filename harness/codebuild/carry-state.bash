# Sourced before each buildspec command (bash): saves, when the command's shell exits, what CodeBuild
# carries to the next command: the working directory and the scalar variables, exported or not.
# Arrays, readonly and bash's own variables are left out; functions, options and traps never carry.
__codebuild_save() {
  {
    printf 'cd %q\n' "$PWD"
    for __codebuild_name in $(compgen -v); do
      case $__codebuild_name in
        BASH* | SHELLOPTS | PPID | UID | EUID | SHLVL | PWD | OLDPWD | _ | RANDOM | SRANDOM | SECONDS | LINENO | HISTCMD | \
          FUNCNAME | PIPESTATUS | GROUPS | DIRSTACK | EPOCHSECONDS | EPOCHREALTIME | COMP_* | __codebuild_*) continue ;;
      esac
      __codebuild_decl=$(declare -p "$__codebuild_name" 2>/dev/null) || continue
      __codebuild_flags=${__codebuild_decl#declare -}
      case ${__codebuild_flags%% *} in *[aArn]*) continue ;; esac
      printf '%s\n' "$__codebuild_decl"
    done
  } >"$__codebuild_state"
}
trap '__codebuild_status=$?; __codebuild_save; exit $__codebuild_status' EXIT
