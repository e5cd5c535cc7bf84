#!/usr/bin/env bats
#
# skiff run -t / -it, driven through a real terminal made by util-linux
# script(1): the command sees a pty of its own with the outer terminal's
# size, input typed at the terminal reaches it, the exit status comes back,
# and the outer terminal's settings are restored afterwards.

load helpers

setup_file() { prepull "$IMAGE"; }

setup() {
    basic_setup
    require_rig
    command -v script >/dev/null || skip "no script(1) (util-linux)"
}

# in_terminal SCRIPT [STDIN]: runs the bash SCRIPT inside a new pty (rows 40,
# cols 100) with $SK set to the skiff command line; sets $status/$output
# (carriage returns removed). STDIN, if given, is typed into the terminal;
# otherwise the terminal's input stays open (and empty) for a few seconds.
in_terminal() {
    local body=$1 driver=$BATS_TEST_TMPDIR/driver.sh
    {
        echo 'stty rows 40 cols 100'
        echo "SK='$SKIFF_BIN $(store_args)'"
        echo "IMAGE='$IMAGE'"
        echo "$body"
    } >"$driver"
    if [[ $# -ge 2 ]]; then
        run timeout -k 5 60 script -qec "bash $driver" /dev/null < <(printf '%s' "$2"; sleep 3)
    else
        run timeout -k 5 60 script -qec "bash $driver" /dev/null < <(sleep 5)
    fi
    output=${output//$'\r'/}
    echo "$output"
}

@test "tty: -t gives the command its own pty with the terminal's size" {
    in_terminal '$SK run --rm -t $IMAGE sh -c "tty; stty size; echo TERM=\$TERM; test -t 0 && echo stdin-tty"; echo rc=$?'
    assert_equal "$status" 0 "script's exit status"
    assert_match "$output" $'(^|\n)/dev/pts/0\n' "tty in the container"
    assert_match "$output" $'\n40 100\n' "stty size in the container"
    assert_match "$output" $'\nTERM=xterm\n' "TERM"
    assert_match "$output" $'\nstdin-tty\n' "stdin is the tty"
    assert_match "$output" $'\nrc=0$' "exit status of skiff"
}

@test "tty: the exit status comes back and the terminal is restored" {
    in_terminal 'before=$(stty -g)
$SK run --rm -t $IMAGE sh -c "exit 3"; echo rc=$?
$SK run --rm -t $IMAGE no-such-command; echo rc=$?
after=$(stty -g)
[ "$before" = "$after" ] && echo restored || echo "changed: $before -> $after"'
    assert_match "$output" $'(^|\n)rc=3\n' "exit status of skiff -t"
    assert_match "$output" $'\nrc=127\n' "exit status of skiff -t with a missing command"
    assert_match "$output" $'\nrestored$' "terminal settings after skiff -t"
}

@test "tty: -it takes typed input" {
    in_terminal '$SK run --rm -it $IMAGE sh; echo rc=$?' $'echo typed-$((6*7))\nexit 4\n'
    assert_match "$output" $'(^|\n)typed-42\n' "command typed into the container's shell"
    assert_match "$output" $'\nrc=4$' "exit status"
}

@test "tty: -t follows a change of the terminal's size (SIGWINCH)" {
    in_terminal '( sleep 1.5; stty rows 20 cols 60 </dev/tty ) &
$SK run --rm -t $IMAGE sh -c "stty size; sleep 3; stty size"; echo rc=$?'
    assert_match "$output" $'40 100\n20 60\n' "size before and after the resize"
}

@test "tty: without -t there is no terminal" {
    in_terminal '$SK run --rm $IMAGE tty; echo rc=$?'
    assert_match "$output" $'(^|\n)not a tty\nrc=1$'
    sk 1 run --rm "$IMAGE" tty
    assert_equal "$output" "not a tty"
}

@test "tty: without -t the command has a session of its own and cannot reach skiff's terminal" {
    # runc and podman do the same: /dev/tty in the container would be the
    # user's terminal (TIOCSTI could type into the user's shell).
    in_terminal '$SK run --rm $IMAGE sh -c "echo leaked >/dev/tty && echo opened"; echo rc=$?'
    assert "$output" "!*" "leaked" "the container wrote to the terminal"
    assert "$output" "!*" "opened" "the container opened the terminal"
    assert_contains "$output" "No such device or address"
    # Field 6 of stat is the session: 0 while it was skiff's (outside the
    # container's pid namespace); now the session leader is pid 1.
    sk run --rm "$IMAGE" sh -c 'cut -d" " -f6 /proc/self/stat; cut -d" " -f6 /proc/1/stat'
    assert_equal "$output" $'1\n1'
    # An exec'd process leads a session of its own as well.
    sk run -d --name sess "$IMAGE" sleep 100
    sk exec sess sh -c 'read -r pid _ _ _ _ sid _ </proc/self/stat; [ "$pid" = "$sid" ] && echo leader'
    assert_equal "$output" "leader"
    sk rm -f sess
}
