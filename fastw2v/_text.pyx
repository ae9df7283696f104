"""nogil tokenising of byte blocks and word -> id lookup (corpus_file mode), and the lookup of
iterable mode's str tokens in the same table (``lookup_tokens``).

Whitespace is the six ASCII bytes ``b" \\t\\n\\v\\f\\r"`` (C's ``isspace`` in the "C" locale, what
gensim's corpus_file reader and word2vec.c split on; Python's ``bytes.split()`` uses the same set).
A newline ends a sentence. Bytes are never decoded: a token is a byte string and matches a vocabulary
word when it equals the word's UTF-8 encoding, so malformed UTF-8 simply matches nothing (out of
vocabulary). ``fastw2v.vocab`` rejects such files when it counts them, before training gets here.

Sentence rule (shared with ``fastw2v.corpus.LineSentence`` + ``iter_id_batches``): a line is cut into
pieces of at most ``max_sentence_length`` *raw* tokens (out-of-vocabulary tokens count), exactly like
gensim's LineSentence; each non-empty piece is one sentence (``n_sentences``); the piece's
in-vocabulary ids form one entry of ``offsets`` unless it has none.
"""
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcmp, memcpy, memmove, memset

from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND, PyUnicode_READ

cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_IS_COMPACT(object o)
    bint PyUnicode_IS_COMPACT_ASCII(object o)

import numpy as np

# FNV-1a, 64-bit
cdef uint64_t _FNV_OFFSET = 14695981039346656037ULL
cdef uint64_t _FNV_PRIME = 1099511628211ULL


cdef inline uint64_t _fnv1a(const unsigned char* s, Py_ssize_t n) noexcept nogil:
    cdef uint64_t h = _FNV_OFFSET
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ s[i]) * _FNV_PRIME
    return h


cdef inline bint _is_space(unsigned char c) noexcept nogil:
    # space, \t \n \v \f \r
    return c == 32 or (c >= 9 and c <= 13)


cdef class VocabHash:
    """Read-only open-addressing hash table: UTF-8 byte string -> int32 word id.

    ``VocabHash(words)`` with ``words`` a sequence of str (encoded as strict UTF-8) or bytes; word i
    gets id i. Linear probing over a power-of-two table with at least twice as many slots as words;
    keys live in one byte pool with int64 offsets, and each word's full 64-bit FNV-1a hash is kept so
    that a probe compares bytes only on a hash match. Immutable after construction, so any number of
    threads may look words up concurrently without the GIL.
    """
    cdef unsigned char* pool
    cdef int64_t* starts      # n_words + 1 offsets into pool
    cdef uint64_t* hashes     # per word
    cdef int32_t* slots       # capacity entries, -1 = empty
    cdef uint64_t mask
    cdef Py_ssize_t n_words

    def __cinit__(self, words):
        self.pool = NULL
        self.starts = NULL
        self.hashes = NULL
        self.slots = NULL
        encoded = []
        for k, w in enumerate(words):
            if isinstance(w, str):
                encoded.append(w.encode("utf-8"))
            elif isinstance(w, bytes):
                encoded.append(w)
            else:   # bytes(5) would be five NUL bytes; bytes(10**12) a terabyte
                raise TypeError(f"words[{k}] must be str or bytes, got {type(w).__name__} {w!r:.40}")
        cdef Py_ssize_t n = len(encoded)
        if n >= 2 ** 31 - 1:
            raise ValueError(f"too many words for int32 ids: {n}")
        cdef Py_ssize_t pool_size = sum(len(b) for b in encoded)
        cdef uint64_t capacity = 16
        while capacity < 2 * <uint64_t>n:
            capacity *= 2
        self.pool = <unsigned char*>malloc(max(pool_size, 1))
        self.starts = <int64_t*>malloc((n + 1) * sizeof(int64_t))
        self.hashes = <uint64_t*>malloc(max(n, 1) * sizeof(uint64_t))
        self.slots = <int32_t*>malloc(capacity * sizeof(int32_t))
        if not (self.pool and self.starts and self.hashes and self.slots):
            raise MemoryError()
        self.mask = capacity - 1
        self.n_words = 0
        cdef uint64_t j
        for j in range(capacity):
            self.slots[j] = -1
        cdef Py_ssize_t i, pos = 0, length
        cdef const unsigned char* src
        cdef bytes b
        self.starts[0] = 0
        for i in range(n):
            b = encoded[i]
            length = len(b)
            src = b
            if length:
                memcpy(self.pool + pos, src, length)
            pos += length
            self.starts[i + 1] = pos
            self.hashes[i] = _fnv1a(self.pool + self.starts[i], length)
            if self._find(self.pool + self.starts[i], length, self.hashes[i]) >= 0:
                raise ValueError(f"duplicate word {encoded[i]!r} at index {i}")
            self._insert(<int32_t>i)
            self.n_words = i + 1

    def __dealloc__(self):
        free(self.pool)
        free(self.starts)
        free(self.hashes)
        free(self.slots)

    cdef inline void _insert(self, int32_t word) noexcept nogil:
        cdef uint64_t j = self.hashes[word] & self.mask
        while self.slots[j] >= 0:
            j = (j + 1) & self.mask
        self.slots[j] = word

    cdef inline int32_t _find(self, const unsigned char* s, Py_ssize_t n, uint64_t h) noexcept nogil:
        cdef uint64_t j = h & self.mask
        cdef int32_t w
        while True:
            w = self.slots[j]
            if w < 0:
                return -1
            if (self.hashes[w] == h and self.starts[w + 1] - self.starts[w] == n
                    and memcmp(self.pool + self.starts[w], s, n) == 0):
                return w
            j = (j + 1) & self.mask

    cdef inline int32_t lookup_bytes(self, const unsigned char* s, Py_ssize_t n) noexcept nogil:
        return self._find(s, n, _fnv1a(s, n))

    def lookup(self, word):
        """Id of ``word`` (str or bytes), or -1 when absent."""
        cdef bytes b = word.encode("utf-8") if isinstance(word, str) else bytes(word)
        cdef const unsigned char* s = b
        return self.lookup_bytes(s, len(b))

    def __len__(self):
        return self.n_words

    def __contains__(self, word):
        return self.lookup(word) >= 0

    @property
    def capacity(self):
        """Number of slots in the table (a power of two, >= 2 * len(self), at least 16)."""
        return self.mask + 1

    def words(self):
        """The words as byte strings, in id order."""
        return [self.pool[self.starts[i]:self.starts[i + 1]] for i in range(self.n_words)]

    def __reduce__(self):
        return (VocabHash, (self.words(),))


cdef struct EncodeResult:
    Py_ssize_t n_tokens        # in-vocabulary ids written
    Py_ssize_t n_offsets       # entries of offsets written (offsets[0] == 0 included)
    int64_t raw_words          # all tokens, OOV included
    int64_t n_sentences        # non-empty raw pieces
    Py_ssize_t consumed        # bytes of the block that were encoded


cdef inline void _end_sentence(EncodeResult* r, int64_t* offsets) noexcept nogil:
    """Count a sentence; record its end unless it kept no in-vocabulary token (empty ones vanish)."""
    r.n_sentences += 1
    if r.n_tokens > offsets[r.n_offsets - 1]:
        offsets[r.n_offsets] = r.n_tokens
        r.n_offsets += 1


cdef EncodeResult _encode(VocabHash h, const unsigned char* buf, Py_ssize_t n,
                          Py_ssize_t max_len, bint final,
                          int32_t* tokens, int64_t* offsets) noexcept nogil:
    """Tokenise buf[0:n]. With ``final`` the block end closes the last token and sentence; without
    it, the result stops at the last sentence boundary (a newline, or the token that completes a
    ``max_len`` piece) and ``consumed`` says where: the rest must be re-encoded with more data."""
    cdef EncodeResult r, snap
    cdef Py_ssize_t i = 0, start
    cdef Py_ssize_t piece_raw = 0
    cdef int32_t word
    cdef unsigned char c
    r.n_tokens = 0
    r.n_offsets = 1
    r.raw_words = 0
    r.n_sentences = 0
    r.consumed = 0
    offsets[0] = 0
    snap = r
    while i < n:
        c = buf[i]
        if _is_space(c):
            i += 1
            if c == 10:
                if piece_raw > 0:
                    _end_sentence(&r, offsets)
                    piece_raw = 0
                r.consumed = i
                snap = r
            continue
        start = i
        while i < n and not _is_space(buf[i]):
            i += 1
        if i == n and not final:
            break  # the token may continue in the next block
        r.raw_words += 1
        piece_raw += 1
        word = h.lookup_bytes(buf + start, i - start)
        if word >= 0:
            tokens[r.n_tokens] = word
            r.n_tokens += 1
        if piece_raw == max_len:
            _end_sentence(&r, offsets)
            piece_raw = 0
            r.consumed = i
            snap = r
    if not final:
        return snap
    if piece_raw > 0:
        _end_sentence(&r, offsets)
    r.consumed = n
    return r


def encode_sentences(VocabHash h not None, const unsigned char[::1] block, Py_ssize_t max_sentence_length=10000,
                     bint final=True):
    """Tokenise a byte block and look its tokens up, with the GIL released.

    Returns ``(tokens, offsets, raw_words, n_sentences, consumed)``: ``tokens`` int32 in-vocabulary
    ids, ``offsets`` int64 sentence starts (``offsets[0] == 0``, ``offsets[-1] == len(tokens)``;
    sentences without in-vocabulary tokens have no entry), ``raw_words`` all tokens seen,
    ``n_sentences`` the non-empty raw pieces (LineSentence sentences), ``consumed`` the bytes encoded.
    With ``final=False`` encoding stops at the last sentence boundary in the block (after a newline,
    or after the token that completes a ``max_sentence_length`` piece); ``block[consumed:]`` must be
    passed again, followed by more data. ``consumed == 0`` means the block holds no boundary yet.
    Reads ``block`` only; consumes no random draws.
    """
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    cdef Py_ssize_t n = block.shape[0]
    # Each token needs one byte plus a separator, so n // 2 + 1 bounds the token count; each
    # offsets entry after the first closes a sentence holding at least one token.
    tokens = np.empty(n // 2 + 1, dtype=np.int32)
    offsets = np.empty(n // 2 + 2, dtype=np.int64)
    cdef int32_t[::1] tok_view = tokens
    cdef int64_t[::1] off_view = offsets
    cdef EncodeResult r
    if n == 0:
        return tokens[:0].copy(), np.zeros(1, dtype=np.int64), 0, 0, 0
    cdef const unsigned char* data = &block[0]
    with nogil:
        r = _encode(h, data, n, max_sentence_length, final, &tok_view[0], &off_view[0])
    return (tokens[:r.n_tokens].copy(), offsets[:r.n_offsets].copy(), int(r.raw_words),
            int(r.n_sentences), int(r.consumed))


def encode_block(VocabHash h not None, const unsigned char[::1] block, Py_ssize_t max_sentence_length=10000):
    """Encode a whole byte block: ``(tokens int32, offsets int64, raw_words int)``.

    The block end closes the last token and sentence. See ``encode_sentences`` for the layout.
    """
    tokens, offsets, raw_words, _, _ = encode_sentences(h, block, max_sentence_length, True)
    return tokens, offsets, raw_words


cdef extern from "<sys/mman.h>" nogil:
    int madvise(void* addr, size_t length, int advice)
    int MADV_HUGEPAGE

cdef extern from "<stdlib.h>" nogil:
    int posix_memalign(void** memptr, size_t alignment, size_t size)

cdef extern from *:
    void __builtin_prefetch(const void* addr) nogil

cdef enum:
    _HUGE_PAGE = 1 << 21       # bytes; tables at least this large are asked for transparent huge pages
    _BATCH = 16                # tokens count_block hashes (and prefetches the slots of) ahead


cdef inline bint _same_bytes(const unsigned char* a, const unsigned char* b, Py_ssize_t n) noexcept nogil:
    """``memcmp(a, b, n) == 0``, inlined for the short strings words are."""
    cdef uint64_t x, y
    while n >= 8:
        memcpy(&x, a, 8)
        memcpy(&y, b, 8)
        if x != y:
            return False
        a += 8
        b += 8
        n -= 8
    while n > 0:
        if a[0] != b[0]:
            return False
        a += 1
        b += 1
        n -= 1
    return True


cdef uint64_t* _zeroed_table(uint64_t n) noexcept nogil:
    """``n`` zeroed uint64 slots; large tables on 2 MiB boundaries with ``madvise(MADV_HUGEPAGE)``,
    since every probe lands on a random page (the advice is a hint: without it the table works
    the same, with more TLB misses). Freed with free()."""
    cdef size_t size = n * sizeof(uint64_t)
    cdef void* p = NULL
    if size < 2 * _HUGE_PAGE:
        return <uint64_t*>calloc(n, sizeof(uint64_t))
    if posix_memalign(&p, _HUGE_PAGE, size) != 0:
        return NULL
    madvise(p, size, MADV_HUGEPAGE)
    memset(p, 0, size)
    return <uint64_t*>p


cdef struct _Word:
    int64_t start      # offset of the word's bytes in the pool; the next entry's start ends them
    int64_t count


cdef inline uint32_t _slot_hash(uint64_t h) noexcept nogil:
    """32 well-mixed bits of a 64-bit FNV-1a hash (whose low bits alone mix poorly): they place a
    word in WordCounter's table and are kept in its slot, so probing and growing never read the
    word itself."""
    h ^= h >> 31
    h *= 0xbf58476d1ce4e5b9ULL
    h ^= h >> 29
    return <uint32_t>(h ^ (h >> 32))


cdef class WordCounter:
    """Growable hash table counting byte-string tokens of ASCII-whitespace-separated text.

    Words get ids in first-occurrence order, so ``items()`` lists them the way a Python dict filled
    token by token would. Used by ``fastw2v.vocab.count_words`` for files: counting needs no Python
    object per token, and ``count_block`` runs without the GIL. Not thread-safe (one counter per
    thread; ``merge`` adds one into another).

    Memory per distinct word: its bytes in one pool, a 16-byte (start, count) entry, and one or two
    8-byte slots (each holds the word's id and 32 bits of its hash; the table is kept between 35%
    and 70% full and doubles, the arrays grow by half). About 40 bytes plus the word for 10^7
    distinct tokens, where a Python dict of str holds about 100.

    ``max_vocab_size`` (0: no limit) prunes as gensim's ``scan_vocab`` does: after each sentence
    (a line's piece of at most ``max_sentence_length`` tokens) that leaves more than
    ``max_vocab_size`` distinct words, every word with a count below ``min_reduce`` is dropped
    (survivors keep their order; a dropped word seen again is new) and ``min_reduce`` grows by one.
    """
    cdef unsigned char* pool
    cdef Py_ssize_t pool_used, pool_cap
    cdef _Word* words          # n_words + 1 entries (the last one: start == pool_used)
    cdef Py_ssize_t words_cap
    cdef uint64_t* slots       # 0 = empty, else (id + 1) << 32 | _slot_hash
    cdef uint64_t mask
    cdef Py_ssize_t n_words
    cdef Py_ssize_t max_vocab_size
    cdef int64_t _min_reduce
    cdef bint busy            # set (under the GIL) while count_block / merge runs without it

    def __cinit__(self, Py_ssize_t max_vocab_size=0):
        if max_vocab_size < 0:
            raise ValueError(f"max_vocab_size must be >= 0, got {max_vocab_size}")
        self.busy = False
        self.max_vocab_size = max_vocab_size
        self._min_reduce = 1
        self.pool_cap = 1 << 16
        self.words_cap = 1 << 12
        self.pool = <unsigned char*>malloc(self.pool_cap)
        self.words = <_Word*>malloc(self.words_cap * sizeof(_Word))
        self.mask = (1 << 13) - 1
        self.slots = _zeroed_table(self.mask + 1)
        if not (self.pool and self.words and self.slots):
            raise MemoryError()
        self.words[0].start = 0
        self.words[0].count = 0
        self.pool_used = 0
        self.n_words = 0

    def __dealloc__(self):
        free(self.pool)
        free(self.words)
        free(self.slots)

    cdef bint _grow_words(self) noexcept nogil:
        cdef Py_ssize_t cap = self.words_cap + self.words_cap // 2
        cdef _Word* words = <_Word*>realloc(self.words, cap * sizeof(_Word))
        if words == NULL:
            return False
        self.words = words
        self.words_cap = cap
        return True

    cdef bint _grow_pool(self, Py_ssize_t need) noexcept nogil:
        cdef Py_ssize_t cap = self.pool_cap + self.pool_cap // 2
        if cap < need:
            cap = need
        cdef unsigned char* pool = <unsigned char*>realloc(self.pool, cap)
        if pool == NULL:
            return False
        self.pool = pool
        self.pool_cap = cap
        return True

    cdef inline void _place(self, uint64_t* slots, uint64_t mask, uint64_t entry) noexcept nogil:
        cdef uint64_t j = (entry & 0xFFFFFFFFULL) & mask
        while slots[j] != 0:
            j = (j + 1) & mask
        slots[j] = entry

    cdef bint _grow_slots(self) noexcept nogil:
        """Double the table. Slots are visited in order and keep their own hash bits, so the new
        table is written in two nearly sequential streams and no word is read."""
        cdef uint64_t cap = (self.mask + 1) * 2
        cdef uint64_t* slots = _zeroed_table(cap)
        if slots == NULL:
            return False
        cdef uint64_t j, e
        for j in range(self.mask + 1):
            e = self.slots[j]
            if e != 0:
                self._place(slots, cap - 1, e)
        free(self.slots)
        self.slots = slots
        self.mask = cap - 1
        return True

    cdef inline Py_ssize_t _find(self, const unsigned char* s, Py_ssize_t n, uint32_t h,
                                 uint64_t* where) noexcept nogil:
        """Id of the word ``s[:n]`` (hash bits ``h``), or -1 with ``where`` its empty slot."""
        cdef uint64_t j = h & self.mask
        cdef uint64_t e
        cdef Py_ssize_t w
        cdef int64_t start
        while True:
            e = self.slots[j]
            if e == 0:
                where[0] = j
                return -1
            if <uint32_t>e == h:
                w = <Py_ssize_t>(e >> 32) - 1
                start = self.words[w].start
                if self.words[w + 1].start - start == n and _same_bytes(self.pool + start, s, n):
                    return w
            j = (j + 1) & self.mask

    cdef inline bint _add(self, const unsigned char* s, Py_ssize_t n, int64_t count) noexcept nogil:
        """Add ``count`` to the word ``s[:n]`` (a new word goes last); False when memory ran out."""
        return self._add_hashed(s, n, _slot_hash(_fnv1a(s, n)), count)

    cdef bint _add_hashed(self, const unsigned char* s, Py_ssize_t n, uint32_t h, int64_t count) noexcept nogil:
        cdef uint64_t j = 0
        cdef Py_ssize_t w = self._find(s, n, h, &j)
        if w >= 0:
            self.words[w].count += count
            return True
        if self.n_words >= 2147483646:
            return False
        if self.n_words + 2 > self.words_cap and not self._grow_words():
            return False
        if self.pool_used + n > self.pool_cap and not self._grow_pool(self.pool_used + n):
            return False
        w = self.n_words
        memcpy(self.pool + self.pool_used, s, n)
        self.pool_used += n
        self.words[w].count = count
        self.words[w + 1].start = self.pool_used
        self.words[w + 1].count = 0
        self.slots[j] = ((<uint64_t>(w + 1)) << 32) | h
        self.n_words += 1
        if <uint64_t>self.n_words * 10 > (self.mask + 1) * 7:
            return self._grow_slots()
        return True

    cdef void _prune(self) noexcept nogil:
        """Drop every word counted fewer than ``min_reduce`` times, keep the others in order,
        compact the pool, rebuild the table; then ``min_reduce += 1``."""
        cdef Py_ssize_t w, k = 0
        cdef int64_t start, length, pos = 0, count
        cdef uint64_t j
        for w in range(self.n_words):
            start = self.words[w].start
            length = self.words[w + 1].start - start
            count = self.words[w].count
            if count >= self._min_reduce:
                memmove(self.pool + pos, self.pool + start, length)
                self.words[k].start = pos
                self.words[k].count = count
                pos += length
                k += 1
        self.words[k].start = pos
        self.words[k].count = 0
        self.n_words = k
        self.pool_used = pos
        memset(self.slots, 0, (self.mask + 1) * sizeof(uint64_t))
        for w in range(k):
            start = self.words[w].start
            length = self.words[w + 1].start - start
            self._place(self.slots, self.mask, ((<uint64_t>(w + 1)) << 32)
                        | _slot_hash(_fnv1a(self.pool + start, length)))
        self._min_reduce += 1

    cdef inline void _sentence_end(self) noexcept nogil:
        if self.max_vocab_size and self.n_words > self.max_vocab_size:
            self._prune()

    cdef _enter(self):
        if self.busy:
            # The tables grow (realloc) inside nogil loops: a second thread would read freed
            # memory. One counter per thread.
            raise RuntimeError("WordCounter.count_block is already running in another thread; "
                               "use one WordCounter per thread")

    def count_block(self, const unsigned char[::1] block, Py_ssize_t max_sentence_length=10000):
        """Count the tokens of a block of whole lines, with the GIL released.

        Returns ``(raw_words, n_sentences)``: tokens counted, and non-empty lines each counting once
        per started ``max_sentence_length`` tokens (LineSentence sentences). The block end ends the
        last line. With ``max_vocab_size``, pruning is checked after each of those sentences.
        """
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        cdef Py_ssize_t n = block.shape[0]
        if n == 0:
            return 0, 0
        cdef const unsigned char* buf = &block[0]
        cdef Py_ssize_t i = 0, start, piece_raw = 0, k, t
        cdef int64_t raw = 0, n_sentences = 0
        cdef unsigned char c
        cdef bint ok = True
        # a batch of tokens: hashed and their slots prefetched first, then counted in order
        cdef Py_ssize_t tok_start[_BATCH]
        cdef Py_ssize_t tok_len[_BATCH]
        cdef uint32_t tok_hash[_BATCH]
        cdef bint ends_sentence[_BATCH]
        self._enter()
        self.busy = True
        try:
            with nogil:
                while ok:
                    k = 0
                    while k < _BATCH and i < n:
                        c = buf[i]
                        if _is_space(c):
                            i += 1
                            if c == 10 and piece_raw > 0:
                                piece_raw = 0
                                if k > 0:
                                    ends_sentence[k - 1] = True
                                else:          # its tokens are all counted already
                                    self._sentence_end()
                            continue
                        start = i
                        while i < n and not _is_space(buf[i]):
                            i += 1
                        tok_start[k] = start
                        tok_len[k] = i - start
                        tok_hash[k] = _slot_hash(_fnv1a(buf + start, i - start))
                        __builtin_prefetch(&self.slots[tok_hash[k] & self.mask])
                        ends_sentence[k] = False
                        if piece_raw == 0:
                            n_sentences += 1
                        piece_raw += 1
                        raw += 1
                        if piece_raw == max_sentence_length:
                            piece_raw = 0
                            ends_sentence[k] = True
                        k += 1
                    if k == 0:
                        break
                    for t in range(k):
                        if not self._add_hashed(buf + tok_start[t], tok_len[t], tok_hash[t], 1):
                            ok = False
                            break
                        if ends_sentence[t]:
                            self._sentence_end()
                if ok and piece_raw > 0:
                    self._sentence_end()
        finally:
            self.busy = False
        if not ok:
            raise MemoryError("WordCounter: out of memory (or more than 2**31 - 2 distinct words)")
        return int(raw), int(n_sentences)

    def merge(self, WordCounter other not None):
        """Add ``other``'s counts (``other`` counted the text after this one's): its words new to
        this counter are appended in ``other``'s order, so first-occurrence order is the whole
        text's. ``other`` is unchanged. Not for counters that prune (the order of pruning and
        counting would differ from one pass)."""
        if self.max_vocab_size or other.max_vocab_size:
            raise ValueError("WordCounter.merge: counters with max_vocab_size cannot be merged")
        if other is self:
            raise ValueError("WordCounter.merge: cannot merge a counter into itself")
        self._enter()
        other._enter()
        cdef Py_ssize_t w, k, t, first
        cdef uint32_t hashes[_BATCH]
        cdef const unsigned char* s
        cdef bint ok = True
        self.busy = True
        other.busy = True
        try:
            with nogil:
                first = 0
                while first < other.n_words:   # a batch: hash and prefetch, then add
                    k = min(<Py_ssize_t>_BATCH, other.n_words - first)
                    for t in range(k):
                        w = first + t
                        s = other.pool + other.words[w].start
                        hashes[t] = _slot_hash(_fnv1a(s, other.words[w + 1].start - other.words[w].start))
                        __builtin_prefetch(&self.slots[hashes[t] & self.mask])
                    for t in range(k):
                        w = first + t
                        if not self._add_hashed(other.pool + other.words[w].start,
                                                other.words[w + 1].start - other.words[w].start,
                                                hashes[t], other.words[w].count):
                            ok = False
                            break
                    if not ok:
                        break
                    first += k
        finally:
            self.busy = False
            other.busy = False
        if not ok:
            raise MemoryError("WordCounter: out of memory (or more than 2**31 - 2 distinct words)")

    def __len__(self):
        return self.n_words

    @property
    def min_reduce(self):
        """The next pruning threshold (1 until ``max_vocab_size`` pruned)."""
        return int(self._min_reduce)

    cdef inline bytes _word(self, Py_ssize_t w):
        return self.pool[self.words[w].start:self.words[w + 1].start]

    def items(self):
        """``[(word bytes, count)]`` in first-occurrence order."""
        self._enter()
        return [(self._word(w), self.words[w].count) for w in range(self.n_words)]

    def to_dict(self):
        """``{word str: count}`` in first-occurrence order; words decoded as UTF-8 (strict)."""
        self._enter()
        return {self._word(w).decode("utf-8"): self.words[w].count for w in range(self.n_words)}

    def str_items(self, Py_ssize_t start, Py_ssize_t stop):
        """``[(word str, count)]`` of ids ``start <= id < stop`` (clipped to the counter), words
        decoded as UTF-8 (strict): a whole table a piece at a time."""
        self._enter()
        start = max(0, start)
        stop = min(stop, self.n_words)
        return [(self._word(w).decode("utf-8"), self.words[w].count) for w in range(start, stop)]

    def counts(self):
        """int64 array of every word's count, in id (first-occurrence) order."""
        self._enter()
        out = np.empty(self.n_words, dtype=np.int64)
        cdef int64_t[::1] view = out
        cdef Py_ssize_t w
        for w in range(self.n_words):
            view[w] = self.words[w].count
        return out

    def total(self):
        """Sum of the counts held (the raw tokens, less those pruned)."""
        self._enter()
        cdef int64_t t = 0
        cdef Py_ssize_t w
        for w in range(self.n_words):
            t += self.words[w].count
        return int(t)

    def select(self, int64_t min_count):
        """``(words, counts)`` of the words counted at least ``min_count`` times, in id order:
        a list of str (UTF-8, strict) and an int64 array; no object is made for the others."""
        self._enter()
        cdef Py_ssize_t w, k = 0
        for w in range(self.n_words):
            if self.words[w].count >= min_count:
                k += 1
        counts = np.empty(k, dtype=np.int64)
        cdef int64_t[::1] view = counts
        words = []
        k = 0
        for w in range(self.n_words):
            if self.words[w].count >= min_count:
                words.append(self._word(w).decode("utf-8"))
                view[k] = self.words[w].count
                k += 1
        return words, counts

    def get(self, word, default=None):
        """Count of ``word`` (str, as UTF-8, or bytes), or ``default`` when it was never counted."""
        self._enter()
        cdef bytes b
        try:
            b = word.encode("utf-8") if isinstance(word, str) else bytes(word)
        except UnicodeEncodeError:   # a lone surrogate: no counted file holds it (strict UTF-8)
            return default
        cdef const unsigned char* s = b
        cdef Py_ssize_t n = len(b)
        cdef uint64_t j
        cdef Py_ssize_t w = self._find(s, n, _slot_hash(_fnv1a(s, n)), &j)
        return default if w < 0 else self.words[w].count

    @property
    def nbytes(self):
        """Bytes the counter has allocated (pool, entries and table capacity)."""
        return int(self.pool_cap + self.words_cap * sizeof(_Word) + (self.mask + 1) * sizeof(uint64_t))


cdef enum:
    _UTF8_BUFFER = 256   # longest UTF-8 form (bytes) lookup_tokens builds on the stack; longer: dict


cdef Py_ssize_t _utf8_into(object token, unsigned char* buf, Py_ssize_t capacity) noexcept:
    """Write the UTF-8 form of ``token`` (a compact str) into ``buf``, without asking CPython for it
    (which would cache a copy inside the str). Returns its length, or -1 when it needs more than
    ``capacity`` bytes or holds a surrogate (no UTF-8 form)."""
    cdef int kind = PyUnicode_KIND(token)
    cdef void* data = PyUnicode_DATA(token)
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(token), pos = 0
    cdef uint32_t c   # not Py_UCS4, which Cython treats as a one-character str
    for i in range(n):
        c = <uint32_t>PyUnicode_READ(kind, data, i)
        if c < 0x80:
            if pos + 1 > capacity:
                return -1
            buf[pos] = <unsigned char>c
            pos += 1
        elif c < 0x800:
            if pos + 2 > capacity:
                return -1
            buf[pos] = <unsigned char>(0xC0 | (c >> 6))
            buf[pos + 1] = <unsigned char>(0x80 | (c & 0x3F))
            pos += 2
        elif c < 0x10000:
            if (0xD800 <= c <= 0xDFFF) or pos + 3 > capacity:
                return -1
            buf[pos] = <unsigned char>(0xE0 | (c >> 12))
            buf[pos + 1] = <unsigned char>(0x80 | ((c >> 6) & 0x3F))
            buf[pos + 2] = <unsigned char>(0x80 | (c & 0x3F))
            pos += 3
        else:
            if pos + 4 > capacity:
                return -1
            buf[pos] = <unsigned char>(0xF0 | (c >> 18))
            buf[pos + 1] = <unsigned char>(0x80 | ((c >> 12) & 0x3F))
            buf[pos + 2] = <unsigned char>(0x80 | ((c >> 6) & 0x3F))
            buf[pos + 3] = <unsigned char>(0x80 | (c & 0x3F))
            pos += 4
    return pos


def lookup_tokens(list sentences not None, dict key_to_index not None, int32_t[::1] out not None,
                  VocabHash vocab_hash=None):
    """Write ``key_to_index.get(token, -1)`` of every token of ``sentences`` into ``out``, in order.

    The iterable-mode twin of ``VocabHash`` lookups, with no Python call per token. With
    ``vocab_hash`` (which must hold ``key_to_index``'s words at their ids, as
    ``VocabHash(index_to_key)`` does), tokens of exact type str are looked up by their UTF-8 bytes
    in it (no str hashing; about 2.5x faster on the dev corpus): an ASCII str's own bytes, or a
    UTF-8 form built on the stack (never cached inside the str, which an in-memory corpus would
    keep); other tokens, and str longer than 256 UTF-8 bytes or holding a surrogate, in
    ``key_to_index``. Without ``vocab_hash``, every token in ``key_to_index``.

    ``sentences`` holds sequences of tokens (lists are read in place); ``out`` must hold exactly
    their total token count (ValueError otherwise). Values must be ints in [0, 2**31) (ValueError);
    an unhashable token raises TypeError, as ``dict.get`` would. Returns the number of tokens found.
    """
    cdef Py_ssize_t p = 0, found = 0, i, n, total = out.shape[0], size
    cdef object sentence, value, token
    cdef long index
    cdef const char* utf8
    cdef int32_t w
    cdef unsigned char buf[_UTF8_BUFFER]
    for sentence in sentences:
        if type(sentence) is not list:
            sentence = list(sentence)   # tuples, arrays of str
        n = len(<list>sentence)
        if p + n > total:
            raise ValueError(f"out holds {total} ids, fewer than the sentences' tokens")
        for i in range(n):
            token = (<list>sentence)[i]
            if vocab_hash is not None and PyUnicode_CheckExact(token) and PyUnicode_IS_COMPACT(token):
                if PyUnicode_IS_COMPACT_ASCII(token):   # its own bytes are its UTF-8
                    utf8 = <const char*>PyUnicode_DATA(token)
                    size = PyUnicode_GET_LENGTH(token)
                else:
                    size = _utf8_into(token, buf, _UTF8_BUFFER)
                    utf8 = <const char*>buf
                if size >= 0:
                    w = vocab_hash.lookup_bytes(<const unsigned char*>utf8, size)
                    out[p] = w
                    if w >= 0:
                        found += 1
                    p += 1
                    continue
            value = (<dict>key_to_index).get(token)
            if value is None:
                out[p] = -1
            else:
                index = value
                if index < 0 or index > 2147483647:
                    raise ValueError(f"key_to_index holds {index!r}, not a word id in [0, 2**31)")
                out[p] = <int32_t>index
                found += 1
            p += 1
    if p != total:
        raise ValueError(f"out holds {total} ids but the sentences hold {p} tokens")
    return found
