import Foundation

/// The sentence encoder's work for concurrent requests (`--model full`): each request hands over
/// the texts its scan routed to the encoder and waits; encoder threads take what is waiting, from
/// every request, in groups of up to `maxItems` texts and `maxBytes` bytes, and embed each group
/// at once. A single-item request alone is embedded alone, as before; under load the items of
/// many requests share a group, which reads each of the encoder's weight matrices once for all
/// of them (about 1.0 ms per item in groups of 16 against 1.7 ms alone, `bench semantic`).
///
/// Nothing waits for a group to fill: a thread takes whatever is queued when it is free. Threads
/// are started as the work needs them (a request finds every thread busy), `threads` at most,
/// and each keeps its own workspace (`makeEmbed` runs on the thread), so the pieces it keeps
/// serve later requests. They are plain threads, not tasks: the encoder's milliseconds of
/// arithmetic never hold up the tasks that serve requests. The threads end when the queue does.
final class EncoderQueue: Sendable {
    /// Embeds a group of texts, one embedding each, in order.
    typealias Embed = ([String]) -> [[Float]]

    private let shared: Shared

    /// - Parameters:
    ///   - threads: encoder threads at most (at least 1).
    ///   - maxItems, maxBytes: the largest group (a text longer than `maxBytes` goes alone).
    ///   - makeEmbed: called once on each encoder thread; what it returns embeds that thread's groups.
    init(threads: Int, maxItems: Int, maxBytes: Int, makeEmbed: @escaping @Sendable () -> Embed) {
        shared = Shared(
            limit: max(threads, 1), maxItems: max(maxItems, 1), maxBytes: maxBytes, makeEmbed: makeEmbed)
    }

    deinit { shared.stop() }

    /// The embeddings of `texts`, in order, once an encoder thread has embedded them all.
    func embed(_ texts: [String]) async -> [[Float]] {
        if texts.isEmpty { return [] }
        return await withCheckedContinuation { continuation in
            shared.enqueue(Job(texts: texts, continuation: continuation))
        }
    }

    /// Texts queued and not yet taken by an encoder thread.
    var waitingItems: Int { shared.locked { shared.waiting } }
    /// Encoder threads started so far (and not ended).
    var threadCount: Int { shared.locked { shared.threads } }
}

/// One request's texts. Only touched under the queue's lock.
private final class Job {
    let texts: [String]
    /// The next text no thread has taken.
    var next = 0
    var results: [[Float]]
    /// Texts not embedded yet.
    var remaining: Int
    let continuation: CheckedContinuation<[[Float]], Never>

    init(texts: [String], continuation: CheckedContinuation<[[Float]], Never>) {
        self.texts = texts
        self.results = Array(repeating: [], count: texts.count)
        self.remaining = texts.count
        self.continuation = continuation
    }
}

/// The queue's state, shared with its threads; every `var` only under `condition`.
private final class Shared: @unchecked Sendable {
    let condition = NSCondition()
    var jobs: [Job] = []
    var first = 0
    /// Texts queued, not taken.
    var waiting = 0
    var threads = 0
    /// Threads embedding a group now (a thread that is not busy takes the next queued text).
    var busy = 0
    var stopping = false
    let limit: Int
    let maxItems: Int
    let maxBytes: Int
    let makeEmbed: @Sendable () -> EncoderQueue.Embed

    init(limit: Int, maxItems: Int, maxBytes: Int, makeEmbed: @escaping @Sendable () -> EncoderQueue.Embed) {
        self.limit = limit
        self.maxItems = maxItems
        self.maxBytes = maxBytes
        self.makeEmbed = makeEmbed
    }

    func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    func enqueue(_ job: Job) {
        let start = locked { () -> Bool in
            jobs.append(job)
            waiting += job.texts.count
            condition.signal()
            // A new thread only when every thread is embedding: a thread that has just answered
            // a request (not busy, perhaps not yet waiting) takes this one, with its kept pieces.
            guard busy == threads, threads < limit, !stopping else { return false }
            threads += 1
            return true
        }
        if start {
            let thread = Thread { [self] in run() }
            thread.name = "bulwark-encoder"
            thread.start()
        }
    }

    func stop() {
        locked {
            stopping = true
            condition.broadcast()
        }
    }

    /// An encoder thread: takes groups from the queue until it is stopped and empty.
    private func run() {
        let embed = makeEmbed()
        condition.lock()
        while true {
            while first == jobs.count && !stopping { condition.wait() }
            if first == jobs.count {
                threads -= 1
                condition.unlock()
                return
            }
            // A group: queued texts in order, across requests, up to the limits.
            var taken: [(Job, Int)] = []
            var texts: [String] = []
            var bytes = 0
            while first < jobs.count && texts.count < maxItems {
                let job = jobs[first]
                let text = job.texts[job.next]
                if !texts.isEmpty && bytes + text.utf8.count > maxBytes { break }
                texts.append(text)
                taken.append((job, job.next))
                bytes += text.utf8.count
                job.next += 1
                if job.next == job.texts.count { first += 1 }
            }
            waiting -= texts.count
            if first == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                first = 0
            } else if first >= 64 && 2 * first >= jobs.count {
                // Under steady load the queue may never empty: drop the jobs handed out.
                jobs.removeFirst(first)
                first = 0
            }
            busy += 1
            condition.unlock()

            let embeddings = embed(texts)
            precondition(embeddings.count == texts.count, "one embedding per text")

            condition.lock()
            busy -= 1
            var answered: [Job] = []
            for ((job, index), embedding) in zip(taken, embeddings) {
                job.results[index] = embedding
                job.remaining -= 1
                if job.remaining == 0 { answered.append(job) }
            }
            condition.unlock()
            for job in answered { job.continuation.resume(returning: job.results) }
            condition.lock()
        }
    }
}
