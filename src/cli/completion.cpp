// ocipfs completion bash|zsh: a completion script made from parse_args's table of flags.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "ocipfs/base/text.hpp"
#include "report.hpp"

namespace ocipfs::cli {

namespace {

// What a flag's value is completed with.
enum class ValueKind { none, file, directory, words };

ValueKind kind_of(const FlagInfo& flag) {
  if (flag.value == "FILE") return ValueKind::file;
  if (flag.value == "DIR") return ValueKind::directory;
  if (flag.value.find('|') != std::string_view::npos) return ValueKind::words;
  return ValueKind::none;
}

// "car|files" as "car files".
std::string words_of(std::string_view value) {
  std::string out(value);
  for (char& c : out)
    if (c == '|') c = ' ';
  return out;
}

// inspect's REF|CID is no file; every other command's positional argument is one.
bool takes_a_file(std::string_view command) { return command != "inspect"; }

std::string command_words() {
  std::string out;
  for (auto command : flag_commands()) out += std::string(command) + " ";
  return out + "completion --help --version";
}

// The bash `case` arm that sets `flags` for one command.
std::string bash_flags(std::string_view command) {
  std::string flags;
  for (const auto& flag : flags_of(command)) {
    flags += (flags.empty() ? "" : " ") + std::string(flag.name) + (flag.value.empty() ? "" : "=");
    if (flag.name == "--output") flags += " -o";
  }
  return "    " + std::string(command) + ") flags=\"" + flags + "\" ;;\n";
}

// One bash `case` arm: the flags `names` complete with `command`.
std::string bash_arm(const std::vector<std::string>& names, const std::string& command) {
  std::string pattern;
  for (const auto& name : names) pattern += (pattern.empty() ? "" : "|") + name;
  return "    " + pattern + ") COMPREPLY=($(" + command + " -- \"$cur\")) ;;\n";
}

// The bash `case` arms that complete each flag's value, from every command's flags.
std::string bash_values() {
  std::vector<std::string> files{"-o"}, directories, words;
  std::string arms;
  for (auto command : flag_commands())
    for (const auto& flag : flags_of(command)) {
      std::string name(flag.name);
      ValueKind kind = kind_of(flag);
      auto& names = kind == ValueKind::file        ? files
                    : kind == ValueKind::directory ? directories
                                                   : words;
      if (kind == ValueKind::none || std::find(names.begin(), names.end(), name) != names.end())
        continue;
      names.push_back(name);
      if (kind == ValueKind::words)
        arms += bash_arm({name}, "compgen -W \"" + words_of(flag.value) + "\"");
    }
  return bash_arm(files, "compgen -f") + bash_arm(directories, "compgen -d") + arms;
}

std::string bash_script() {
  std::string script = R"(# bash completion for ocipfs: source <(ocipfs completion bash)
_ocipfs() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} flag= flags=
  COMPREPLY=()
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=($(compgen -W ")" +
                       command_words() +
                       R"(" -- "$cur"))
    return 0
  fi
  # --name=value: bash splits at "=" (COMP_WORDBREAKS), or not.
  if [[ $cur == = ]]; then flag=$prev cur=
  elif [[ $prev == = ]]; then flag=${COMP_WORDS[COMP_CWORD-2]}
  elif [[ $cur == --*=* ]]; then flag=${cur%%=*} cur=${cur#*=}
  elif [[ $prev == -o || $prev == --car ]]; then flag=$prev
  fi
  if [[ -n $flag ]]; then
    case $flag in
)" + bash_values() +
                       R"(    esac
    return 0
  fi
  case ${COMP_WORDS[1]} in
)";
  for (auto command : flag_commands()) script += bash_flags(command);
  script += R"(    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return 0 ;;
    *) return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
  elif [[ ${COMP_WORDS[1]} != inspect ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
complete -o filenames -F _ocipfs ocipfs
)";
  return script;
}

// One _arguments spec of a flag: "--car=[FILE]:FILE:_files".
std::string zsh_spec(const FlagInfo& flag) {
  std::string name(flag.name);
  if (flag.value.empty()) return "'" + name + "[" + name.substr(2) + "]'";
  std::string action;
  switch (kind_of(flag)) {
    case ValueKind::file:
      action = "_files";
      break;
    case ValueKind::directory:
      action = "_files -/";
      break;
    case ValueKind::words:
      action = "(" + words_of(flag.value) + ")";
      break;
    case ValueKind::none:
      action = " ";
      break;
  }
  std::string value(flag.value);
  std::string repeat = name == "--gateway" ? "*" : "";
  return "'" + repeat + name + "=[" + value + "]:" + value + ":" + action + "'";
}

std::string zsh_arm(std::string_view command) {
  std::string arm = "    " + std::string(command) + ")\n      _arguments -s";
  for (const auto& flag : flags_of(command)) {
    arm += " \\\n        " + zsh_spec(flag);
    if (flag.name == "--output") arm += " \\\n        '-o[FILE]:FILE:_files'";
  }
  arm += takes_a_file(command) ? " \\\n        '1:FILE:_files'" : " \\\n        '1:REF or CID: '";
  return arm + " ;;\n";
}

std::string zsh_script() {
  std::string script = R"(#compdef ocipfs
# zsh completion for ocipfs: source <(ocipfs completion zsh) after compinit, or save it as
# _ocipfs in a directory of $fpath.
_ocipfs() {
  if (( CURRENT == 2 )); then
    compadd -- )" + command_words() +
                       R"(
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
)";
  for (auto command : flag_commands()) script += zsh_arm(command);
  script += R"(    completion) _arguments '1:shell:(bash zsh)' ;;
  esac
}
if [[ $funcstack[1] == _ocipfs ]]; then _ocipfs "$@"; else compdef _ocipfs ocipfs; fi
)";
  return script;
}

}  // namespace

int run_completion(const Args& args) {
  const std::string& shell = args.positional.front();
  if (shell == "bash")
    write_out(stdout, bash_script());
  else if (shell == "zsh")
    write_out(stdout, zsh_script());
  else
    throw UsageError{"completion takes bash or zsh, not " + in_quotes(shell, 64)};
  return 0;
}

}  // namespace ocipfs::cli
