/// The console's due-process pages (removal orders, appeals, the transparency report) and its
/// administration pages (audit log, banks, a reviewer's own settings). The same rules as the
/// other pages: `{{x}}` for everything written by a user, the platform or an authority, with
/// `dir="auto"` on free text; a `<label>` for every field; no scripts.
extension ConsoleTemplates {
    static let dueProcessPages: [(String, String)] = [
        ("orders", orders), ("order", order), ("appeals", appeals), ("appeal", appeal), ("transparency", transparency),
        ("audit", audit), ("banks", banks), ("jobs", jobs), ("settings", settings),
    ]

    static let orders = """
        {{> head}}
        <h1>Removal orders</h1>
        <p>Each order must be acted on within one hour of receipt (TCO Article 3(3)): the clock stops when the platform has confirmed every executed removal. Newest first.</p>
        <table><thead><tr><th scope="col">order</th><th scope="col">authority</th><th scope="col">reference</th><th scope="col">received</th><th scope="col">clock</th><th scope="col">time left</th><th scope="col">targets executed</th><th scope="col">not executed</th></tr></thead><tbody>
        {{#orders}}<tr{{#alert}} class="alert"{{/alert}}><td><a href="/console/orders/{{id}}">order {{id}}</a></td><td dir="auto">{{authority}}</td><td dir="auto">{{reference}}</td><td><time datetime="{{received}}">{{received}}</time></td><td>{{state}}</td><td>{{left}}</td><td>{{executed}}</td><td>{{notExecuted}}</td></tr>
        {{/orders}}{{^orders}}<tr><td colspan="8">No removal orders.</td></tr>{{/orders}}
        </tbody></table>
        {{> foot}}
        """

    static let order = """
        {{> head}}
        <h1>Removal order {{id}}</h1>
        <p{{#alert}} class="alert" role="alert"{{/alert}}>One-hour clock: <strong>{{state}}</strong>{{#left}} · {{left}}{{/left}} · deadline <time datetime="{{deadline}}">{{deadline}}</time></p>
        <h2>The order (TCO Annex I)</h2>
        <dl>
        <dt>Issuing authority</dt><dd dir="auto">{{authority}}</dd>
        <dt>Reference</dt><dd dir="auto">{{reference}}</dd>
        <dt>Legal basis</dt><dd dir="auto">{{legalBasis}}</dd>
        <dt>Statement of reasons</dt><dd dir="auto" class="text">{{reasons}}</dd>
        <dt>Category</dt><dd>{{category}}</dd>
        <dt>Issued</dt><dd>{{#issued}}<time datetime="{{issued}}">{{issued}}</time>{{/issued}}{{^issued}}not stated{{/issued}}</dd>
        <dt>Delivered by</dt><dd dir="auto">{{receivedBy}}</dd>
        </dl>
        <h2>Times</h2>
        <dl>
        <dt>Received</dt><dd><time datetime="{{received}}">{{received}}</time></dd>
        <dt>Actioned (items disabled, webhooks queued)</dt><dd>{{#actioned}}<time datetime="{{actioned}}">{{actioned}}</time>{{/actioned}}{{^actioned}}not actioned{{/actioned}}</dd>
        <dt>Confirmed by the platform</dt><dd>{{#confirmed}}<time datetime="{{confirmed}}">{{confirmed}}</time>{{/confirmed}}{{^confirmed}}not yet confirmed{{/confirmed}}</dd>
        <dt>Webhook deliveries pending</dt><dd>{{pending}}</dd>
        </dl>
        <h2>Targets</h2>
        <table><thead><tr><th scope="col">target</th><th scope="col">outcome</th><th scope="col">decision</th><th scope="col">webhook delivery</th></tr></thead><tbody>
        {{#targets}}<tr><td dir="auto">{{#platform}}{{platform}} / {{id}}{{/platform}}{{#url}}{{url}}{{/url}}</td><td>{{#executed}}removed{{/executed}}{{^executed}}not executed: <span dir="auto">{{reason}}</span>{{/executed}}</td><td>{{#decisionID}}decision {{decisionID}}{{#itemID}} (item {{itemID}}){{/itemID}}{{/decisionID}}</td><td>{{deliveryID}}</td></tr>
        {{/targets}}
        </tbody></table>
        <p><a href="/console/orders">All removal orders</a></p>
        {{> foot}}
        """

    static let appeals = """
        {{> head}}
        <h1>Appeals</h1>
        <p>Complaints against restricting decisions (TCO Article 10, DSA Article 20), decided within two weeks by a reviewer other than the one who made the decision.</p>
        <h2>Open, nearest deadline first</h2>
        <table><thead><tr><th scope="col">appeal</th><th scope="col">decision</th><th scope="col">appellant</th><th scope="col">filed</th><th scope="col">deadline</th><th scope="col">time left</th></tr></thead><tbody>
        {{#open}}<tr{{#overdue}} class="alert"{{/overdue}}><td><a href="/console/appeals/{{id}}">appeal {{id}}</a></td><td>decision {{decisionID}}</td><td dir="auto">{{appellant}}</td><td><time datetime="{{filed}}">{{filed}}</time></td><td><time datetime="{{deadline}}">{{deadline}}</time></td><td>{{left}}</td></tr>
        {{/open}}{{^open}}<tr><td colspan="6">No open appeals.</td></tr>{{/open}}
        </tbody></table>
        <h2>Decided, latest first</h2>
        <table><thead><tr><th scope="col">appeal</th><th scope="col">outcome</th><th scope="col">decided by</th><th scope="col">decided</th><th scope="col">in time</th></tr></thead><tbody>
        {{#decided}}<tr><td><a href="/console/appeals/{{id}}">appeal {{id}}</a></td><td>{{status}}</td><td dir="auto">{{decidedBy}}</td><td><time datetime="{{decidedAt}}">{{decidedAt}}</time></td><td>{{#overdue}}no{{/overdue}}{{^overdue}}yes{{/overdue}}</td></tr>
        {{/decided}}{{^decided}}<tr><td colspan="5">None yet.</td></tr>{{/decided}}
        </tbody></table>
        {{> foot}}
        """

    static let appeal = """
        {{> head}}
        <h1>Appeal {{id}}</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        <p>{{status}} · filed <time datetime="{{filed}}">{{filed}}</time> · deadline <time datetime="{{deadline}}">{{deadline}}</time>{{#left}} · {{left}}{{/left}}</p>
        <h2>The complaint</h2>
        <p>Appellant <span dir="auto">{{appellant}}</span></p>
        <div class="text" dir="auto">{{reason}}</div>
        <h2>The decision appealed</h2>
        {{#decision}}<p>Decision {{id}} by <span dir="auto">{{reviewer}}</span> on <time datetime="{{at}}">{{at}}</time>: {{action}} {{category}}</p>{{#note}}<p>Note: <span dir="auto">{{note}}</span></p>{{/note}}{{/decision}}
        <p><a href="/console/cases/{{caseID}}">Case {{caseID}}</a>{{#itemID}} · item {{itemID}}{{/itemID}}</p>
        {{#item}}<div class="text" dir="auto" lang="{{language}}">{{text}}</div><p>{{platform}} / {{externalID}}</p>{{/item}}
        {{#entity}}<p>Account or container <span dir="auto">{{name}}</span> ({{kind}}, status {{status}})</p>{{/entity}}
        {{#outcome}}<h2>Outcome</h2>
        <p>{{status}} by <span dir="auto">{{decidedBy}}</span> on <time datetime="{{decidedAt}}">{{decidedAt}}</time>{{#exemption}} · exemption {{exemption}}{{/exemption}}{{#reinstatement}} · reinstated by decision {{reinstatement}}{{/reinstatement}}</p>
        {{#note}}<p>Note: <span dir="auto">{{note}}</span></p>{{/note}}{{/outcome}}
        {{#sameReviewer}}<p class="notice" role="status">You made the decision appealed: another reviewer must decide this appeal.</p>{{/sameReviewer}}
        {{#canDecide}}
        <h2>Decide</h2>
        <form method="post" action="/console/appeals/{{id}}/decision">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <fieldset><legend>Outcome</legend>
        <label><input type="radio" name="outcome" value="upheld" required> Uphold: the decision stands</label>
        <label><input type="radio" name="outcome" value="reversed" required> Reverse: reinstate the content and tell the platform</label>
        </fieldset>
        <label for="exemption">Exemption (TCO Article 1(3)), when reversed on that ground</label><select id="exemption" name="exemption"><option value="">none</option>{{#exemptions}}<option>{{.}}</option>{{/exemptions}}</select>
        <label for="note">Note</label><textarea id="note" name="note" rows="3" cols="60"></textarea>
        <p><button type="submit">Decide the appeal</button></p>
        </form>
        {{/canDecide}}
        <p><a href="/console/appeals">All appeals</a></p>
        {{> foot}}
        """

    static let transparency = """
        {{> head}}
        <h1>Transparency report: terrorist content</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        <form method="get" action="/console/transparency">
        <label for="from">From (inclusive)</label><input id="from" name="from" type="date" value="{{from}}" required>
        <label for="to">To (exclusive)</label><input id="to" name="to" type="date" value="{{to}}" required>
        <p><button type="submit">Show the report</button></p>
        </form>
        {{#report}}<section aria-label="Report" class="report">{{{report}}}</section>{{/report}}
        {{> foot}}
        """

    static let audit = """
        {{> head}}
        <h1>Audit log</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        {{#intact}}<p class="ok" role="status">Hash chain intact: {{checked}} entries verified.</p>{{/intact}}
        {{#broken}}<p class="alert" role="alert">Hash chain broken at entry {{brokenAt}}: {{reason}} ({{checked}} entries verified before it).</p>{{/broken}}
        <form method="get" action="/console/audit">
        <label for="actor">Actor</label><input id="actor" name="actor" value="{{actor}}">
        <label for="action">Action</label><input id="action" name="action" value="{{action}}">
        <p><button type="submit">Filter</button></p>
        </form>
        <table><thead><tr><th scope="col">seq</th><th scope="col">time</th><th scope="col">actor</th><th scope="col">action</th><th scope="col">subject</th><th scope="col">detail</th></tr></thead><tbody>
        {{#entries}}<tr><td>{{seq}}</td><td><time datetime="{{at}}">{{at}}</time></td><td dir="auto">{{actor}}</td><td>{{action}}</td><td dir="auto">{{subject}}</td><td dir="auto"><code>{{detail}}</code></td></tr>
        {{/entries}}{{^entries}}<tr><td colspan="6">No entries.</td></tr>{{/entries}}
        </tbody></table>
        <nav aria-label="Pages of the audit log"><p>{{#newer}}<a href="{{newer}}">Newer entries</a>{{/newer}} {{#older}}<a href="{{older}}">Older entries</a>{{/older}}</p></nav>
        {{> foot}}
        """

    static let banks = """
        {{> head}}
        <h1>Hash banks</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{^available}}<p class="alert" role="alert">This server was started without a bank directory: banks cannot be changed here.</p>{{/available}}
        <table><thead><tr><th scope="col">bank</th><th scope="col">kind</th><th scope="col">quarantined</th><th scope="col">PDQ threshold</th><th scope="col">labels</th><th scope="col">active entries</th><th scope="col">description</th></tr></thead><tbody>
        {{#banks}}<tr><td>{{name}}</td><td>{{kind}}{{#allow}} (allow list){{/allow}}</td><td>{{#quarantined}}yes{{/quarantined}}{{^quarantined}}no{{/quarantined}}</td><td>{{threshold}}</td><td>{{labels}}</td><td>{{entries}}</td><td dir="auto">{{description}}</td></tr>
        {{/banks}}{{^banks}}<tr><td colspan="7">No banks.</td></tr>{{/banks}}
        </tbody></table>
        {{#canChange}}
        <h2>Add or remove an entry</h2>
        <form method="post" action="/console/banks/entries">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="entry-bank">Bank</label><select id="entry-bank" name="bank" required>{{#banks}}<option>{{name}}</option>{{/banks}}</select>
        <label for="entry-type">Hash type</label><select id="entry-type" name="type">{{#types}}<option>{{.}}</option>{{/types}}</select>
        <label for="entry-value">Hash (hex)</label><input id="entry-value" name="value" required size="70" autocomplete="off" spellcheck="false">
        <label for="entry-labels">Labels (comma-separated, for example category:dissemination)</label><input id="entry-labels" name="labels">
        <fieldset><legend>Change</legend>
        <label><input type="radio" name="op" value="add" checked> Add the entry</label>
        <label><input type="radio" name="op" value="remove"> Remove the entry</label>
        </fieldset>
        <p><button type="submit">Apply</button></p>
        </form>
        <h2>Create a bank</h2>
        <form method="post" action="/console/banks">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="bank-name">Name (letters, digits, - _ .)</label><input id="bank-name" name="name" required maxlength="64">
        <label for="bank-kind">Kind</label><select id="bank-kind" name="kind"><option value="block">block: known violating content</option><option value="allow">allow: known false positives</option></select>
        <label><input type="checkbox" name="quarantined" value="on"> Quarantined (block: matches go to review only; allow: protection off)</label>
        <label for="bank-threshold">PDQ threshold (0 to 128)</label><input id="bank-threshold" name="pdq_threshold" type="number" min="0" max="128" value="{{defaultThreshold}}">
        <label for="bank-labels">Labels (comma-separated)</label><input id="bank-labels" name="labels">
        <label for="bank-description">Description</label><input id="bank-description" name="description" size="60">
        <p><button type="submit">Create the bank</button></p>
        </form>
        {{/canChange}}
        {{> foot}}
        """

    static let jobs = """
        {{> head}}
        <h1>Background jobs</h1>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        <p>Each media part is hashed and matched by a job of its own; a retro-hunt matches the stored media against bank entries added later. An attempt counts when a worker starts the job. A job that fails is tried again, five attempts in all, then it is failed and waits here. A media part whose five attempts all ended their worker (a file that crashes a decoder, say) is recorded as not decoded and matched by its MD5 and SHA-256 only; such a retro-hunt is failed. Oldest first.</p>
        <form method="get" action="/console/jobs">
        <label for="jobs-status">Status</label><select id="jobs-status" name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select>
        <p><button type="submit">Show</button></p>
        </form>
        <table><thead><tr><th scope="col">job</th><th scope="col">kind</th><th scope="col">works on</th><th scope="col">status</th><th scope="col">attempts</th><th scope="col">next try</th><th scope="col">ended</th><th scope="col">last error</th>{{#canRetry}}<th scope="col">again</th>{{/canRetry}}</tr></thead><tbody>
        {{#jobs}}<tr><td>{{id}}</td><td>{{kind}}</td><td>{{ref}}</td><td>{{status}}</td><td>{{attempts}}</td><td>{{#runAfter}}<time datetime="{{runAfter}}">{{runAfter}}</time>{{/runAfter}}</td><td>{{#endedAt}}<time datetime="{{endedAt}}">{{endedAt}}</time>{{/endedAt}}</td><td><code>{{lastError}}</code></td>{{#canRetry}}<td>{{#ended}}<form method="post" action="/console/jobs/retry"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{id}}"><button type="submit" aria-label="Do job {{id}} again">Do again</button></form>{{/ended}}</td>{{/canRetry}}</tr>
        {{/jobs}}{{^jobs}}<tr><td colspan="9">No jobs.</td></tr>{{/jobs}}
        </tbody></table>
        <nav aria-label="Pages of jobs"><p>{{#more}}<a href="{{more}}">Later jobs</a>{{/more}}</p></nav>
        {{> foot}}
        """

    static let settings = """
        {{> head}}
        <h1>Settings</h1>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        <p>How the console shows you images, video and audio. These settings are yours alone.</p>
        <form method="post" action="/console/settings">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <fieldset><legend>Images</legend>
        <label><input type="checkbox" name="blurred" value="on"{{#blurred}} checked{{/blurred}}> Blurred and greyscale until I click them</label>
        <label><input type="checkbox" name="keep_greyscale" value="on"{{#keepGreyscale}} checked{{/keepGreyscale}}> Keep images greyscale after I reveal them</label>
        </fieldset>
        <p>Video and audio never play by themselves: they load nothing until you press play.</p>
        <p><button type="submit">Save</button></p>
        </form>
        {{> foot}}
        """
}
