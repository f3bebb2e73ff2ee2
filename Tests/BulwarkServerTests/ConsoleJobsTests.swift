import BulwarkCore
import BulwarkStore
import BulwarkTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BulwarkServer

/// The console's page of background jobs: leads, admins and auditors read it; leads and admins
/// have a job that ended done again, as `POST /v1/jobs/{id}/retry` does.
extension ConsoleEntityTests {
    @Test(arguments: Backend.allCases)
    func theJobsPageListsAFailedJobAndALeadHasItDoneAgain(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-jobs") { store in try await jobsPage(store) }
    }

    func jobsPage(_ store: any ModerationStore) async throws {
        for (name, role) in [("lead", Role.lead), ("aud", .auditor), ("rev", .reviewer)] { try await Self.addUser(store, name, role) }
        // A retro-hunt that failed its last attempt.
        #expect(try await store.enqueueRetroHunt(firstEntryID: 7, now: Self.now))
        let hunt = try #require(try await store.claimJobs(owner: "w", now: Self.now, lease: 60, limit: 10).first)
        #expect(try await store.startJob(jobID: hunt.id, owner: "w", until: Self.now + 60) != nil)
        try await store.failJob(jobID: hunt.id, error: "the <bank> sync failed", retryAt: nil, now: Self.now)
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: ServerConfiguration(port: 0), clock: { Self.now })
        try await service.application(logger: Logger(label: "test"), background: false).test(.router) { client in
            var lead = try await Self.signedIn(client, "lead")
            let page = try await lead.get(client, "/console/jobs")
            let html = Self.text(page)
            #expect(page.status == .ok)
            #expect(html.contains("<td>\(hunt.id)</td><td>retro-hunt</td><td>bank entries from 7</td><td>failed</td><td>1</td>"), "\(html)")
            // When it ended; no next try.
            let ended = ConsoleFormat.time(Self.now)
            #expect(html.contains(#"<td>1</td><td></td><td><time datetime="\#(ended)">\#(ended)</time></td>"#), "\(html)")
            // The error as text, escaped.
            #expect(html.contains("<code>the &lt;bank&gt; sync failed</code>"))
            #expect(html.contains(#"<button type="submit" aria-label="Do job \#(hunt.id) again">Do again</button>"#))
            // Other statuses: nothing queued yet.
            #expect(Self.text(try await lead.get(client, "/console/jobs?status=queued")).contains("No jobs."))

            var aud = try await Self.signedIn(client, "aud")
            let read = Self.text(try await aud.get(client, "/console/jobs"))
            #expect(read.contains("bank entries from 7") && !read.contains("Do again"))
            #expect(try await aud.post(client, "/console/jobs/retry", [("csrf", ConsoleTests.csrf(in: try await aud.get(client, "/console/jobs"))), ("id", "\(hunt.id)")]).status == .forbidden)
            var rev = try await Self.signedIn(client, "rev")
            #expect(try await rev.get(client, "/console/jobs").status == .forbidden)

            // Without the form's token, nothing changes.
            #expect(try await lead.post(client, "/console/jobs/retry", [("csrf", "0"), ("id", "\(hunt.id)")]).status == .forbidden)
            #expect(try await store.jobs(status: "failed", afterID: 0, limit: 10).map(\.id) == [hunt.id])
            let done = try await lead.post(client, "/console/jobs/retry", [("csrf", ConsoleTests.csrf(in: page)), ("id", "\(hunt.id)")])
            #expect(done.status == .seeOther && done.headers[.location] == "/console/jobs?status=queued&queued=\(hunt.id)")
            let queued = Self.text(try await lead.get(client, "/console/jobs?status=queued&queued=\(hunt.id)"))
            #expect(queued.contains("Job \(hunt.id) queued again."))
            #expect(queued.contains("<td>\(hunt.id)</td><td>retro-hunt</td><td>bank entries from 7</td><td>queued</td><td>0</td>"))
            #expect(try await store.jobs(status: "queued", afterID: 0, limit: 10).map(\.id) == [hunt.id])
            // Queued already: a conflict; an unknown job: not found.
            #expect(try await lead.post(client, "/console/jobs/retry", [("csrf", ConsoleTests.csrf(in: page)), ("id", "\(hunt.id)")]).status == .conflict)
            #expect(try await lead.post(client, "/console/jobs/retry", [("csrf", ConsoleTests.csrf(in: page)), ("id", "99999")]).status == .notFound)
        }
    }
}
