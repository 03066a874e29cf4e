/**
 * The capture writer thread runs at a lower scheduling priority than the data path: on
 * a busy CPU, scoring requests go first and the writer takes what is left (when that is
 * not enough, its budget fills and new captures are dropped and counted, never waited
 * for). Without it, every arena handed over woke the writer onto the data path's CPU,
 * ahead of it (a sleeping thread is owed CPU time): the data-path thread was preempted
 * 0.25-0.37 times per request with capture on, against 0.1 with this (0.02-0.04 with
 * capture off), on a 2-vCPU machine under load.
 *
 * Linux schedules threads as tasks with their own nice value, and lowering one's own
 * priority needs no privilege; `/proc/thread-self` names the calling thread's task id.
 * A thread's nice value is inherited by the threads it creates, and libuv's threadpool
 * (the process's fs, dns.lookup, crypto and zlib work) is created by the first thread that
 * uses it: so the pool is started before the priority is lowered, else a writer thread
 * that used it first (its file appends) would leave the whole process's pool at nice 10.
 */
import { readlinkSync, stat } from "node:fs";
import { setPriority } from "node:os";

/** Nice value of a capture writer thread (the data path's threads keep 0; 19 is the lowest priority). */
export const WRITER_NICE = 10;

/**
 * Lowers the calling thread's priority to `nice`. False, and nothing changed, where
 * threads have no nice value of their own (not Linux) or the system refuses: the writer
 * then runs at the data path's priority, as it did before.
 */
export function lowerThreadPriority(nice: number): boolean {
  // Queues work on libuv's threadpool, which creates it now (at this thread's priority) if no thread has yet.
  stat(".", () => {});
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
