/* gmoe sweep over MPI ranks (sweep_mpi.h): rank 0 hands out tasks and writes the rows, every
 * rank computes. Compiled only with ./configure --with-mpi. */
#include <config.h>
#include <mpi.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "sweep_mpi.h"

/* Message tags. Between a rank and rank 0, a request (the finished row, or nothing for a
 * first request) and its answer (the next task) carry the number of the compute thread's
 * slot in their tag, TAG_SLOT + slot; a rank whose slots have all stopped says goodbye. */
enum { TAG_BYE = 1, TAG_SLOT = 16 };

/* A compute thread and its rank's communication thread pass a task and its row to each other
 * through a slot; the state says whose turn it is. */
enum {
    SLOT_START, /* compute thread: allocating its workspace */
    SLOT_IDLE,  /* communication thread: the slot wants a task */
    SLOT_ASKED, /* (ranks other than 0) the request is with rank 0 */
    SLOT_BUSY,  /* compute thread: running the task */
    SLOT_DONE,  /* communication thread: the row is ready (NULL: out of memory) */
    SLOT_STOP,  /* no more tasks */
    SLOT_DEAD   /* out of memory: the slot runs no more tasks */
};

typedef struct slot {
    atomic_int state;
    gmoe_sweep_task task;
    const char *row; /* borrowed from w */
    gmoe_sweep_worker *w;
} slot;

typedef struct rank_run {
    const gmoe_sweep *sw;
    int rank, size;
    slot *slots;
    size_t nslots;
    int solo; /* no compute thread (a team of one): the communication thread computes too */
    /* rank 0 */
    gmoe_sweep_out *out;
    const gmoe_sweep_task *tasks;
    size_t ntasks, next, written;
    int byes;     /* ranks whose slots have all stopped */
    int stopping; /* hand out no more tasks: the callback asked, or a write failed */
    int rc;
    gmoe_error *err;
    gmoe_sweep_progress cb;
    void *cbdata;
    char *buf; /* a received row */
    size_t cap;
} rank_run;

/* Waiting threads poll with a pause that grows while nothing happens: the communication
 * thread watches its slots and MPI at once, and MPI's blocking calls would spin on a core
 * that the compute threads need. */
enum { PAUSE_MIN_NS = 10000, PAUSE_MAX_NS = 1000000 };

static void pause_for(long *ns, int did)
{
    if (did) {
        *ns = PAUSE_MIN_NS;
        return;
    }
    struct timespec t = {0, *ns};
    nanosleep(&t, NULL);
    if (*ns < PAUSE_MAX_NS) *ns *= 2;
}

int cli_mpi_start(cli_mpi *m)
{
    /* Without a launcher MPI_Init would start a singleton, which with Open MPI spawns a
     * daemon (and fails where none can run): a process started alone stays out of MPI. */
    int rank, size, provided;
    m->rank = m->started = 0;
    m->size = 1;
    if (!cli_mpi_launched(&rank, &size)) return 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        cli_error("sweep: MPI_Init_thread failed");
        return CLI_EXIT_ERROR;
    }
    m->started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    /* Only the main thread calls MPI, while the other threads compute. */
    if (provided < MPI_THREAD_FUNNELED) {
        if (m->rank == 0) cli_error("sweep: the MPI library does not allow threads");
        return CLI_EXIT_ERROR;
    }
    return 0;
}

void cli_mpi_stop(cli_mpi *m)
{
    if (m->started) MPI_Finalize();
    m->started = 0;
}

/* FNV-1a: ranks compare their sweeps by a hash of the signature. */
static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int cli_mpi_agree(const cli_mpi *m, const gmoe_sweep *sw, const gmoe_error *err)
{
    if (m->size <= 1) return sw ? 0 : cli_lib_error(err);
    gmoe_error serr;
    char *sig = NULL;
    const gmoe_error *why = err;
    if (sw && gmoe_sweep_signature(sw, &sig, &serr)) why = &serr;
    unsigned long long h = sig ? hash(sig) : 0;
    free(sig);
    unsigned long long h0 = h;
    MPI_Bcast(&h0, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    /* The first rank that failed, and the first whose sweep differs from rank 0's. */
    int mine[2] = {sig ? m->size : m->rank, sig && h0 && h != h0 ? m->rank : m->size}, first[2];
    MPI_Allreduce(mine, first, 2, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first[0] == m->size && first[1] == m->size) return 0;
    if (first[0] == 0) {
        if (m->rank == 0) cli_lib_error(why);
    } else if (first[0] < m->size) {
        if (m->rank == first[0])
            cli_error("sweep: rank %d: %s", m->rank,
                      why->msg[0] ? why->msg : gmoe_strerror(why->code));
    } else if (m->rank == 0) {
        cli_error("sweep: rank %d read a different sweep from rank 0's (another config, truth, "
                  "seed or gmoe version): every rank must read the same files",
                  first[1]);
    }
    return CLI_EXIT_ERROR;
}

/* ------------------------------------------------------------------ rank 0 */

/* Append a finished row. After a write error, or when the callback asks to stop, no task is
 * handed out any more; the rows of tasks still running are written (but not after an
 * error). */
static void write_row(rank_run *r, const char *row)
{
    if (r->rc) return;
    r->rc = gmoe_sweep_out_append(r->out, row, r->err);
    if (!r->rc) r->written++;
    if (r->rc || (r->cb && r->cb(r->written, r->ntasks, r->cbdata))) r->stopping = 1;
}

/* The next task, largest n first; 0 when none is left to hand out. */
static int next_task(rank_run *r, gmoe_sweep_task *t)
{
    if (r->stopping || r->next == r->ntasks) return 0;
    *t = r->tasks[r->next++];
    return 1;
}

/* Answer the other ranks: write the row a request brings and send back the next task, or
 * n = 0 for "stop"; count goodbyes. Returns whether anything came. */
static int serve_ranks(rank_run *r)
{
    int flag, did = 0, len;
    MPI_Status st;
    while (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS &&
           flag) {
        did = 1;
        MPI_Get_count(&st, MPI_CHAR, &len);
        if ((size_t)len >= r->cap) {
            char *b = realloc(r->buf, (size_t)len + 1);
            if (!b) {
                /* A message cannot be left unreceived; nothing else can be done here. */
                cli_error("sweep: out of memory");
                MPI_Abort(MPI_COMM_WORLD, CLI_EXIT_ERROR);
            }
            r->buf = b, r->cap = (size_t)len + 1;
        }
        MPI_Recv(r->buf, len, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (st.MPI_TAG == TAG_BYE) {
            r->byes++;
            continue;
        }
        r->buf[len] = '\0';
        if (len > 0) write_row(r, r->buf);
        gmoe_sweep_task t = {0, 0};
        next_task(r, &t);
        unsigned long long msg[2] = {t.n, t.rep};
        MPI_Send(msg, 2, MPI_UNSIGNED_LONG_LONG, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD);
    }
    return did;
}

/* ------------------------------------------------------------------ other ranks */

/* Take rank 0's answers: a task for a slot, or its stop. */
static int take_tasks(rank_run *r)
{
    int flag, did = 0;
    MPI_Status st;
    while (MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS && flag) {
        unsigned long long msg[2];
        MPI_Recv(msg, 2, MPI_UNSIGNED_LONG_LONG, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        did = 1;
        size_t j = (size_t)(st.MPI_TAG - TAG_SLOT);
        if (st.MPI_TAG < TAG_SLOT || j >= r->nslots) continue;
        r->slots[j].task.n = (size_t)msg[0];
        r->slots[j].task.rep = (size_t)msg[1];
        atomic_store(&r->slots[j].state, msg[0] ? SLOT_BUSY : SLOT_STOP);
    }
    return did;
}

/* ------------------------------------------------------------------ every rank */

/* One step of a compute thread on its slot: allocate the workspace, or run the task it was
 * given. Sets *did if it did either; returns 0 once the slot has stopped. */
static int compute_step(const gmoe_sweep *sw, slot *s, int *did)
{
    int st = atomic_load(&s->state);
    if (st == SLOT_START) {
        s->w = gmoe_sweep_worker_alloc(sw);
        atomic_store(&s->state, s->w ? SLOT_IDLE : SLOT_DEAD);
        *did = 1;
    } else if (st == SLOT_BUSY) {
        s->row = gmoe_sweep_worker_run(s->w, s->task);
        atomic_store(&s->state, SLOT_DONE);
        *did = 1;
    }
    return st != SLOT_STOP && st != SLOT_DEAD;
}

static void compute(const gmoe_sweep *sw, slot *s)
{
    long pause = PAUSE_MIN_NS;
    int did = 0;
    while (compute_step(sw, s, &did)) {
        pause_for(&pause, did);
        did = 0;
    }
}

/* The communication thread's round of its rank's slots: a finished row goes to the file
 * (rank 0) or to rank 0 with the slot's next request (other ranks); an idle slot gets its
 * next task (rank 0) or asks for it. *live counts the slots that have not stopped. */
static int serve_slots(rank_run *r, size_t *live)
{
    int did = 0;
    *live = 0;
    for (size_t j = 0; j < r->nslots; j++) {
        slot *s = &r->slots[j];
        int seen = atomic_load(&s->state), st = seen;
        if (st == SLOT_DONE && !s->row) {
            st = SLOT_DEAD; /* its task is lost: rank 0 finds it missing at the end */
        } else if (st == SLOT_DONE || st == SLOT_IDLE) {
            if (r->rank == 0) {
                if (st == SLOT_DONE) write_row(r, s->row);
                st = next_task(r, &s->task) ? SLOT_BUSY : SLOT_STOP;
            } else {
                const char *row = st == SLOT_DONE ? s->row : "";
                MPI_Send(row, (int)strlen(row), MPI_CHAR, 0, TAG_SLOT + (int)j, MPI_COMM_WORLD);
                st = SLOT_ASKED;
            }
        }
        /* Other states are the compute thread's or rank 0's turn: left alone. */
        if (st != seen) {
            atomic_store(&s->state, st);
            did = 1;
        }
        *live += st != SLOT_STOP && st != SLOT_DEAD;
    }
    return did;
}

/* The communication thread: until its slots have stopped, and on rank 0 every other rank has
 * said goodbye. */
static void communicate(rank_run *r)
{
    long pause = PAUSE_MIN_NS;
    for (;;) {
        size_t live;
        int did = serve_slots(r, &live);
        did |= r->rank == 0 ? serve_ranks(r) : take_tasks(r);
        if (r->solo) compute_step(r->sw, &r->slots[0], &did);
        if (!live) {
            if (r->rank != 0) {
                MPI_Send(NULL, 0, MPI_CHAR, 0, TAG_BYE, MPI_COMM_WORLD);
                return;
            }
            if (r->byes == r->size - 1) return;
        }
        pause_for(&pause, did);
    }
}

static int team_threads(const gmoe_sweep *sw, const gmoe_sweep_options *opt)
{
    int t = opt && opt->threads > 0 ? opt->threads : gmoe_sweep_threads(sw);
#ifdef _OPENMP
    if (t <= 0) t = omp_get_max_threads();
#endif
    return t > 0 ? t : 1;
}

int cli_mpi_sweep_run(const cli_mpi *m, gmoe_sweep *sw, const gmoe_sweep_options *opt,
                      gmoe_sweep_progress cb, void *cbdata, gmoe_sweep_summary *sum,
                      gmoe_error *err)
{
    if (m->size <= 1) return gmoe_sweep_run(sw, opt, cb, cbdata, sum, err);
    if (sum) memset(sum, 0, sizeof *sum);
    rank_run r = {0};
    r.sw = sw, r.rank = m->rank, r.size = m->size, r.err = err, r.cb = cb, r.cbdata = cbdata;
    if (r.rank == 0) {
        r.rc = gmoe_sweep_out_open(sw, opt, &r.out, err);
        if (!r.rc) r.ntasks = gmoe_sweep_out_tasks(r.out, &r.tasks);
    }
    int threads = team_threads(sw, opt);
    r.slots = calloc((size_t)threads, sizeof *r.slots);
    if (!r.slots && !r.rc) r.rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    /* Every rank goes on only if rank 0 has its output and every rank its slots. */
    int ok = !r.rc, all;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (all) {
        for (int j = 0; j < threads; j++)
            atomic_init(&r.slots[j].state, SLOT_START);
#pragma omp parallel num_threads(threads + 1)
        {
            int id = 0, team = 1;
#ifdef _OPENMP
            id = omp_get_thread_num(), team = omp_get_num_threads();
#endif
            /* Thread 0, the one that started MPI, is the only one to call it. */
            if (id == 0) {
                r.solo = team == 1;
                r.nslots = r.solo ? 1 : (size_t)team - 1;
                communicate(&r);
            } else {
                compute(sw, &r.slots[id - 1]);
            }
        }
        for (int j = 0; j < threads; j++)
            gmoe_sweep_worker_free(r.slots[j].w);
    }
    free(r.slots);
    free(r.buf);
    if (r.rank != 0) return GMOE_SUCCESS;
    if (!all && !r.rc) r.rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory on another rank");
    /* Nothing asked to stop: a task left out ran out of memory. */
    if (!r.rc && r.written < r.ntasks && !r.stopping)
        r.rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    gmoe_error cerr;
    int crc = gmoe_sweep_out_close(r.out, sum, &cerr);
    if (!r.rc && crc) {
        r.rc = crc;
        *err = cerr;
    }
    return r.rc;
}
