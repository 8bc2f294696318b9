"""The reliability suite: random crash runs, full disks, bad certificates and clocks, crash and
restart steps in a stateful test (issue 6). Assertions are about correctness only, never speed."""
