"""Transactions on the one writer connection, with group commit.

Each journal method is an *operation*: it runs in its own savepoint inside a shared transaction
and returns only once a COMMIT covering it is durable. Threads that arrive while a COMMIT is being
fsynced queue up; when it ends they all run their operations into the next transaction, and the
last of them commits for everyone. One worker: one fsync per call, as before. Sixteen upload
workers: one fsync per round instead of sixteen.

What each caller sees does not change: its operation is atomic (an operation that raises is
rolled back to its savepoint alone) and durable when the call returns; if the shared COMMIT fails
(a full disk), every operation in it raises and none of them happened.

Reads wait only for a COMMIT in progress (the connection is busy); they may see operations of
other threads that are not yet durable. Nothing the daemon decides rests on such a read: every
decision is an operation.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from agent.errors import JournalError


class Abandoned(JournalError):
    """The shared transaction an operation was part of did not commit."""


class GroupCommit:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.crash_hook: Callable[[], None] | None = None
        self.commits = 0  # COMMITs issued, for tests and benchmarks
        self._mutex = threading.RLock()
        self._cv = threading.Condition(self._mutex)
        self._depth = 0  # operations open on the thread that holds the mutex
        self._queued = 0  # threads waiting to run an operation
        self._committing = False
        self._generation = 0  # number of the open (or last) transaction
        self._finished = 0  # transactions up to this number are committed or failed
        self._members: dict[int, int] = {}  # finished operations waiting, per transaction
        self._failures: dict[int, BaseException] = {}

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run the ``with`` body as one operation; durable when the ``with`` statement ends."""
        with self._cv:
            if self._depth:  # nested in an operation of this thread (or a batch): a savepoint
                yield from self._savepoint()
                return
            fresh = self._enter()
            generation = self._generation
            try:  # alone in a fresh transaction, the operation needs no savepoint of its own
                yield from (self._alone() if fresh else self._savepoint())
            except BaseException as exc:
                self._after_failure(generation, exc)
                raise
            finally:
                self._cv.notify_all()
            self._members[generation] = self._members.get(generation, 0) + 1
            try:
                self._settle(generation)
            finally:
                self._leave(generation)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._cv:
            while self._committing and not self._depth:
                self._cv.wait()
            yield self.conn

    def _enter(self) -> bool:
        """Wait for a COMMIT in progress; join the open transaction or begin one (True)."""
        self._queued += 1
        while self._committing:
            self._cv.wait()
        self._queued -= 1
        if self.conn.in_transaction:
            return False
        self.conn.execute("BEGIN IMMEDIATE")
        self._generation += 1
        return True

    def _alone(self) -> Iterator[sqlite3.Connection]:
        self._depth += 1
        try:
            yield self.conn
        finally:
            self._depth -= 1

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        name = f"op{self._depth}"
        self.conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:  # else SQLite rolled the whole transaction back
                self.conn.execute(f"ROLLBACK TO {name}")
            raise
        finally:
            self._depth -= 1
            if self.conn.in_transaction:
                self.conn.execute(f"RELEASE {name}")

    def _after_failure(self, generation: int, exc: BaseException) -> None:
        """An operation failed. If SQLite rolled the whole transaction back (it does on some
        I/O errors), the operations that were waiting for it fail too. If the failed operation
        was alone in its transaction, end it so the write lock is not held until the next one."""
        if not self.conn.in_transaction:
            if self._members.get(generation):
                self._failures[generation] = exc
            self._finished = max(self._finished, generation)
        elif not self._members.get(generation):  # nothing else in it: undo it all
            self.conn.execute("ROLLBACK")
            self._finished = generation

    def _settle(self, generation: int) -> None:
        """Wait until ``generation`` is committed, committing it when nobody else will join."""
        while self._finished < generation:
            if self._queued == 0 and not self._committing:
                failure = self._commit(generation)
                if failure is not None:
                    raise failure
            else:
                self._cv.wait()
        failure = self._failures.get(generation)
        if failure is not None:
            if isinstance(failure, sqlite3.Error | OSError):
                raise failure
            raise Abandoned(f"the transaction was abandoned: {failure!r}") from None

    def _leave(self, generation: int) -> None:
        left = self._members[generation] - 1
        if left:
            self._members[generation] = left
        else:
            del self._members[generation]
            self._failures.pop(generation, None)

    def _commit(self, generation: int) -> BaseException | None:
        self._committing = True
        self._mutex.release()  # others may queue up while the COMMIT is fsynced
        failure: BaseException | None = None
        try:
            if self.crash_hook is not None:
                self.crash_hook()
            self.conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - handed to every operation of the group
            failure = exc
        finally:
            self._mutex.acquire()
        self.commits += 1
        if failure is not None:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._failures[generation] = failure
        self._finished = generation
        self._committing = False
        self._cv.notify_all()
        return failure
