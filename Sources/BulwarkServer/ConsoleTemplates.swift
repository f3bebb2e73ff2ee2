import Mustache

/// The console's pages as Mustache templates, kept in the binary (no resource bundle to lose).
/// `{{x}}` escapes HTML; nothing the user or the platform wrote is ever put in `{{{x}}}`.
/// No external fonts, styles or scripts: one small inline style sheet, a few lines of script.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let pages: [(String, String)] = [
            ("head", head), ("foot", foot), ("login", login), ("queue", queue), ("case", casePage), ("message", message),
            ("item", itemPage),
        ] + dueProcessPages + entityPages
        for (name, text) in pages {
            // The texts are constants: a syntax error is a programming error that every console test finds.
            library.register(try! MustacheTemplate(string: text), named: name)
        }
        return library
    }()

    static func render(_ name: String, _ object: [String: Any]) -> String {
        library.render(object, withTemplate: name) ?? ""
    }

    static let head = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Bulwark</title>
        <style>
        body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
        header{background:#1f2933;color:#fff;padding:.5rem 1rem;display:flex;gap:1rem;align-items:center}
        header a{color:#fff}
        header nav{display:flex;gap:.8rem;flex-wrap:wrap}
        main{padding:1rem;max-width:96rem}
        .case-grid{display:grid;grid-template-columns:minmax(0,1fr) 22rem;gap:1.5rem;align-items:start}
        .case-side{position:sticky;top:.5rem;background:#fff;border:1px solid #ccc;padding:0 1rem;max-height:calc(100vh - 1rem);overflow:auto}
        .case-side select,.case-side input,.case-side textarea{box-sizing:border-box;max-width:100%}
        .case-side textarea,.case-side select{width:100%}
        @media (max-width:60rem){.case-grid{grid-template-columns:1fr}.case-side{position:static;max-height:none}}
        table{border-collapse:collapse;width:100%}
        th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:start;vertical-align:top}
        mark{background:#ffe08a;color:#000;outline:1px solid #8a6d00}
        .text{white-space:pre-wrap;background:#fff;border:1px solid #ccc;padding:1rem;font-size:1.1rem}
        .alert{background:#fde8e8;border:1px solid #b42318;padding:.5rem}
        .notice{background:#e8f4fd;border:1px solid #1d4ed8;padding:.5rem}
        .media button{padding:0;border:0;background:none;cursor:pointer;overflow:hidden}
        .media img{filter:blur(24px) grayscale(1);max-width:20rem;display:block}
        .media img.revealed,.media img.unblurred{filter:none}
        .media img.keep-grey.revealed,.media img.keep-grey.unblurred{filter:grayscale(1)}
        .ok{background:#e6f4ea;border:1px solid #1e7b34;padding:.5rem}
        td.n{text-align:end}
        dt{font-weight:bold}
        dd{margin:0 0 .5rem 1.5rem}
        label{display:block;margin:.3rem 0}
        button{font:inherit;padding:.3rem 1rem}
        :focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
        kbd{border:1px solid #999;border-radius:3px;padding:0 .3rem;font-size:.85rem}
        </style>
        </head>
        <body>
        <header><strong>Bulwark</strong>{{#user}}<nav aria-label="Console"><a href="/console">Queue</a> <a href="/console/entities">Entities</a> <a href="/console/orders">Removal orders</a> <a href="/console/appeals">Appeals</a> <a href="/console/transparency">Transparency</a> <a href="/console/audit">Audit log</a> <a href="/console/banks">Banks</a> <a href="/console/jobs">Jobs</a> <a href="/console/settings">Settings</a></nav><span>{{name}} ({{role}})</span>
        <form method="post" action="/logout" style="margin-inline-start:auto"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Sign out</button></form>{{/user}}</header>
        <main>
        """

    static let foot = """
        </main>
        </body>
        </html>
        """

    static let login = """
        {{> head}}
        <h1>Sign in</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="name">Name</label><input id="name" name="name" autocomplete="username" required autofocus>
        <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
        <p><button type="submit">Sign in</button></p>
        </form>
        {{> foot}}
        """

    static let message = """
        {{> head}}
        <h1>{{title}}</h1>
        <p class="alert" role="alert">{{message}}</p>
        <p><a href="{{back}}">Back</a></p>
        {{> foot}}
        """

    /// An item no case was opened for (one with a case is its case page).
    static let itemPage = """
        {{> head}}
        <h1>Item {{platform}} / <span dir="auto">{{externalID}}</span></h1>
        <p>Received {{received}} · standing: {{standing}} · the engine's decision: {{decision}} (score {{score}}, language <span lang="{{language}}">{{language}}</span>)</p>
        <p role="status">No case was opened for it: the engine let it through and nobody reported it.</p>
        <h2>Text</h2>
        <div class="text" dir="auto" lang="{{language}}">{{text}}</div>
        {{#hasEvidence}}<h2>Evidence</h2><ul>{{#evidence}}<li>{{kind}}: <span dir="auto">{{detail}}</span></li>{{/evidence}}</ul>{{/hasEvidence}}
        <p><a href="/console">Back to the queue</a></p>
        {{> foot}}
        """

    static let queue = """
        {{> head}}
        <h1>Queue</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#hasOrders}}
        <section aria-labelledby="orders"><h2 id="orders">Removal orders: the one-hour clock</h2>
        <table><thead><tr><th>order</th><th>authority</th><th>state</th><th>time left</th></tr></thead><tbody>
        {{#orders}}<tr{{#alert}} class="alert"{{/alert}}><td>{{id}} ({{reference}})</td><td>{{authority}}</td><td>{{state}}</td><td>{{left}}</td></tr>{{/orders}}
        </tbody></table></section>
        {{/hasOrders}}
        <form method="get" action="/console">
        <label>Language <input name="language" value="{{language}}" size="6"></label>
        <label>Category <select name="category"><option value="">any</option>{{#categories}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/categories}}</select></label>
        <label>Source <select name="source"><option value="">any</option>{{#sources}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/sources}}</select></label>
        <button type="submit">Filter</button>
        </form>
        <form method="get" action="/console/items" role="search" aria-label="Find an item">
        <label>Find an item: platform <input name="platform" value="{{platform}}" size="12" list="platforms" required maxlength="128"></label>
        <datalist id="platforms">{{#platforms}}<option value="{{.}}">{{/platforms}}</datalist>
        <label>its id <input name="id" size="18" required maxlength="256"></label>
        <button type="submit">Find</button>
        </form>
        {{#queueCounts}}{{> queueCounts}}{{/queueCounts}}
        <table><thead><tr><th>case</th><th>priority</th><th>base</th><th>age</th><th>reports (trusted)</th><th>source</th><th>category</th><th>language</th><th>status</th></tr></thead><tbody>
        {{#cases}}<tr><td><a href="/console/cases/{{id}}">case {{id}}</a>{{#copies}} · {{copies}}{{/copies}}</td><td>{{priority}}</td><td>{{base}}</td><td>{{age}}</td><td>{{userReports}} ({{trustedReports}})</td><td>{{source}}</td><td>{{category}}</td><td>{{language}}</td><td>{{status}}{{#claimedBy}} · {{claimedBy}}{{/claimedBy}}</td></tr>{{/cases}}
        </tbody></table>
        {{> foot}}
        """

    static let casePage = """
        {{> head}}
        <h1>Case {{id}}</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        <p>{{source}} · {{status}} · priority {{priority}} · language <span lang="{{language}}">{{language}}</span></p>
        {{> caseClaim}}
        <div class="case-grid">
        <div class="case-main">
        {{#item}}
        <h2>Text</h2>
        <div class="text" dir="auto" lang="{{language}}">{{#segments}}{{#hit}}<mark title="{{why}}">{{text}}</mark>{{/hit}}{{^hit}}{{text}}{{/hit}}{{/segments}}</div>
        <p>{{platform}} / <span dir="auto">{{externalID}}</span>{{#author}} · author <span dir="auto">{{author}}</span>{{/author}}{{#container}} · in <span dir="auto">{{container}}</span>{{/container}}</p>
        {{/item}}
        {{#copies}}<p class="notice" role="status">Open copies of this text (the same words once normalised, no images): {{count}}, {{#cases}}<a href="/console/cases/{{id}}">case {{id}}</a> {{/cases}}{{#more}}…{{/more}}</p>{{/copies}}
        {{#hasMedia}}<h2>Images</h2><p>{{mediaHint}} (<a href="/console/settings">settings</a>)</p>
        <div class="media">{{#media}}<button type="button"><img src="/console/media/{{id}}" class="{{mediaClass}}" alt="Image {{n}} of the item"></button>{{#matched}}<button type="button"><img src="/console/media/{{id}}?frame={{frame}}" class="{{mediaClass}}" alt="Image {{n}}, {{shown}}: the frame a bank matched"></button>{{/matched}}{{/media}}</div>{{/hasMedia}}
        {{> caseEntities}}
        <h2>Scores</h2>
        <ul>{{#scores}}<li>{{name}}: {{score}}</li>{{/scores}}{{#context}}<li>context: {{context}}</li>{{/context}}</ul>
        {{> caseEvidence}}
        <h2>Reports</h2>
        <ul>{{#reports}}<li>{{reporter}}{{#trusted}} (trusted flagger){{/trusted}}: {{reason}}{{#text}} · <span dir="auto">{{text}}</span>{{/text}}</li>{{/reports}}</ul>
        <h2>Decisions</h2>
        <ul>{{#decisions}}<li>{{reviewer}}: {{action}} {{countries}} {{category}} {{note}}</li>{{/decisions}}</ul>
        {{#showReferrals}}
        <h2>Referrals to law enforcement</h2>
        <ul>{{#referrals}}<li>{{at}}: {{authority}}{{#memberState}} ({{memberState}}){{/memberState}}{{^memberState}} (Member State not identifiable){{/memberState}}, by {{by}} · <span dir="auto">{{grounds}}</span></li>{{/referrals}}{{^referrals}}<li>none</li>{{/referrals}}</ul>
        {{/showReferrals}}
        {{#canRefer}}
        <details id="refer"><summary>Refer to law enforcement: an imminent threat to life only</summary>
        <form method="post" action="/console/cases/{{id}}/referrals">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <p>Only for terrorist content involving an imminent threat to life (TCO Art. 14(5)). The referral is recorded with your name and audited.</p>
        <label for="ref-authority">Authority informed</label><input id="ref-authority" name="authority" required maxlength="200">
        <label for="ref-state">Member State concerned</label><select id="ref-state" name="member_state"><option value="">not identifiable (Europol)</option>{{#memberStates}}<option>{{code}}</option>{{/memberStates}}</select>
        <label for="ref-grounds">Why the threat is imminent</label><textarea id="ref-grounds" name="grounds" rows="3" required maxlength="2000"></textarea>
        <label><input type="checkbox" name="imminent_threat_to_life" value="true" required> This content involves an imminent threat to life</label>
        <p><button type="submit">Refer</button></p>
        </form></details>
        {{/canRefer}}
        </div>
        {{#canDecide}}
        <aside class="case-side" aria-labelledby="decide-heading">
        <h2 id="decide-heading">Decide</h2>
        <form method="post" action="/console/cases/{{id}}/decisions" id="decide">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <fieldset><legend>Action</legend>
        {{#actions}}<label><input type="radio" name="action" value="{{value}}" data-key="{{key}}" required> {{label}} <kbd>{{key}}</kbd></label>{{/actions}}
        </fieldset>
        <label for="category">Policy category</label><select id="category" name="category"><option value="">none</option>{{#categories}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/categories}}</select>
        <label for="exemption">Exemption (TCO Art. 1(3))</label><select id="exemption" name="exemption"><option value="">none</option>{{#exemptions}}<option value="{{value}}">{{label}}</option>{{/exemptions}}</select>
        <label for="countries">Countries (EU/EEA codes; a geo-block needs them, a restriction without them applies everywhere)</label><input id="countries" name="countries" placeholder="DE AT" autocomplete="off" maxlength="120">
        <label for="note">Note</label><textarea id="note" name="note" rows="3"></textarea>
        {{#copies}}<label><input type="checkbox" name="copies" value="true"> Decide {{#one}}its open copy{{/one}}{{^one}}{{decidable}} open copies{{/one}} the same way, each a decision of its own</label>{{/copies}}
        <p><button type="submit">Decide</button> <kbd>Ctrl</kbd>+<kbd>Enter</kbd></p>
        </form>
        </aside>
        <script>
        document.addEventListener('keydown', function (e) {
          var form = document.getElementById('decide');
          if (e.ctrlKey && e.key === 'Enter') { e.preventDefault(); form.requestSubmit(); return; }
          var t = e.target.tagName;
          if ((t === 'INPUT' && e.target.type !== 'radio') || t === 'TEXTAREA' || t === 'SELECT') return;
          if (e.ctrlKey || e.metaKey || e.altKey) return;
          var radio = form.querySelector('input[data-key="' + e.key + '"]');
          if (radio) { radio.checked = true; radio.focus(); e.preventDefault(); }
        });
        </script>
        {{/canDecide}}
        </div>
        <script>
        document.querySelectorAll('.media button').forEach(function (b) {
          b.addEventListener('click', function () { b.querySelector('img').classList.add('revealed'); });
        });
        </script>
        {{> foot}}
        """
}
