#!/usr/bin/env bash
# The Ansible checks CI runs (.ci/run), offline, on a machine with no Docker engine:
#   1. syntax of site.yml and deploy.yml with both inventories;
#   2. ansible-lint at the production profile (.ansible-lint);
#   3. molecule: every role converged into a throwaway root under /tmp, a second converge
#      that must change nothing, then verify.yml (molecule/default/);
#   4. the backup and restore scripts molecule installed, run against the PostgreSQL server
#      at PGHOST (default 127.0.0.1; .ci/run has started it) with stand-ins for docker and
#      systemctl (tests/backup-restore.sh);
#   5. site.yml in check mode against this machine with the local inventory: what would
#      change on a bare server, the Docker and Compose tasks included as far as check mode
#      can go without Docker (docs/adr/0019-ansible-provisioning.md).
# Needs the tools of requirements.txt on PATH (make ops-check installs them in .venv-ops),
# and root: the roles set owners (nginx's uid 101) and check mode reads /etc.
# Writes nothing outside the repository but a temporary folder under /tmp, removed at exit.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(git rev-parse --show-toplevel)

scratch=$(mktemp -d /tmp/azionelab-ops.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
# Every cache and temporary file of ansible, ansible-lint and molecule goes to the scratch folder.
export HOME="$scratch/home" XDG_CACHE_HOME="$scratch/cache" XDG_CONFIG_HOME="$scratch/config"
export ANSIBLE_HOME="$scratch/ansible" ANSIBLE_LOCAL_TEMP="$scratch/ansible/tmp"
export ANSIBLE_REMOTE_TEMP="$scratch/ansible/remote-tmp" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export MOLECULE_EPHEMERAL_DIRECTORY="$scratch/molecule"
mkdir -p "$HOME"

# The molecule scenario's throwaway root and the release it checks out: this repository's
# commit (the roles under test are the working tree's).
export AZIONELAB_TEST_ROOT="$scratch/root" AZIONELAB_REPO="$repo"
AZIONELAB_COMMIT=$(git -C "$repo" rev-parse HEAD)
export AZIONELAB_COMMIT
mkdir -p "$AZIONELAB_TEST_ROOT"
# git refuses a repository owned by another user (CI's checkout, read as root).
git config --global --add safe.directory "$repo"
git config --global --add safe.directory "$repo/.git"

echo "== ansible-playbook --syntax-check"
for inventory in production local; do
    for playbook in site.yml deploy.yml; do
        ansible-playbook -i "inventories/$inventory" --syntax-check "$playbook"
    done
done

echo "== ansible-lint (production profile, offline)"
ansible-lint

echo "== molecule test (converge, idempotence, verify)"
molecule test

echo "== backup and restore scripts against PostgreSQL"
tests/backup-restore.sh "$AZIONELAB_TEST_ROOT"

echo "== site.yml in check mode on this machine (local inventory)"
ansible-playbook -i inventories/local site.yml --check \
    -e "app_repo_url=$repo" -e "app_version=$AZIONELAB_COMMIT"
