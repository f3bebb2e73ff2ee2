/// The entity pages, and the parts of the queue and case pages that show the whole queue's
/// counts, the claim, the item's author and container, and the evidence by kind. Registered
/// with the other pages through ``ConsoleTemplates/library``.
extension ConsoleTemplates {
    static let entityPages: [(String, String)] = [
        ("entities", entities), ("entity", entity), ("decideKeys", decideKeys), ("queueCounts", queueCounts),
        ("caseClaim", caseClaim), ("caseEntities", caseEntities), ("caseEvidence", caseEvidence),
    ]

    static let entities = """
        {{> head}}
        <h1>Entities</h1>
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        <form method="get" action="/console/entities">
        <label>Kind <select name="kind"><option value="">any</option>{{#kinds}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/kinds}}</select></label>
        <label>Status <select name="status"><option value="">any</option>{{#statuses}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/statuses}}</select></label>
        <button type="submit">Filter</button>
        </form>
        <p>{{count}} accounts and containers, riskiest first.</p>
        {{#hasEntities}}
        <table><thead><tr><th>name</th><th>kind</th><th>platform / id</th><th>status</th><th>risk</th><th>reach</th><th>items (violating, review)</th><th>largest parts of the risk</th><th>last seen</th></tr></thead><tbody>
        {{#entities}}<tr><td><a href="/console/entities/{{id}}"><span dir="auto">{{name}}</span></a>{{#reappearanceOf}} · re-appearance of <a href="/console/entities/{{reappearanceOf}}">entity {{reappearanceOf}}</a>{{/reappearanceOf}}</td><td>{{kind}}</td><td>{{platform}} / <span dir="auto">{{externalID}}</span></td><td>{{status}}</td><td>{{risk}}</td><td>{{reach}}</td><td>{{items}} ({{violating}}, {{review}})</td><td>{{#topParts}}{{name}} {{value}}<br>{{/topParts}}</td><td>{{lastSeen}}</td></tr>{{/entities}}
        </tbody></table>
        {{/hasEntities}}
        {{^hasEntities}}{{^error}}<p>No account or container matches.</p>{{/error}}{{/hasEntities}}
        {{> foot}}
        """

    static let entity = """
        {{> head}}
        {{#entity}}<h1>{{kindLabel}} <span dir="auto">{{name}}</span></h1>
        <p>{{kind}} · {{platform}} / <span dir="auto">{{externalID}}</span> · status <strong>{{status}}</strong> · risk {{risk}} · reach {{reach}} {{reachLabel}}</p>{{/entity}}
        {{#error}}<p class="alert" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#description}}<h2>Description</h2><div class="text" dir="auto">{{description}}</div>{{/description}}
        {{#openCase}}<p>In the queue: <a href="/console/cases/{{id}}">case {{id}}</a> ({{status}}{{#claimedBy}}, claimed by {{claimedBy}} until {{until}}{{/claimedBy}}).</p>{{/openCase}}
        {{#reappearance}}<section aria-labelledby="reappearance"><h2 id="reappearance">Re-appearance</h2>
        <p class="alert">Resembles <a href="/console/entities/{{of}}">{{#bannedName}}<span dir="auto">{{bannedName}}</span>{{/bannedName}}{{^bannedName}}entity {{of}}{{/bannedName}}</a>{{#bannedStatus}} ({{bannedStatus}}){{/bannedStatus}}: similarity {{similarity}}.</p>
        {{#evidence}}<p dir="auto">{{evidence}}</p>{{/evidence}}</section>{{/reappearance}}
        <h2>Risk and its parts</h2>
        <table><thead><tr><th>part</th><th>value</th><th>from</th></tr></thead><tbody>
        {{#parts}}<tr><td>{{name}}</td><td>{{value}}</td><td>{{detail}}</td></tr>{{/parts}}
        </tbody></table>
        <h2>Signals</h2>
        <dl>{{#signals}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/signals}}</dl>
        <h2>Items, newest first</h2>
        {{#hasTimeline}}
        <table><thead><tr><th>when</th><th>item</th><th>text</th><th>verdict (score)</th><th>case</th></tr></thead><tbody>
        {{#timeline}}<tr><td>{{when}}</td><td>{{type}} <span dir="auto">{{externalID}}</span></td><td dir="auto"{{#lang}} lang="{{lang}}"{{/lang}}>{{text}}</td><td>{{decision}} ({{score}})</td><td>{{#caseID}}<a href="/console/cases/{{caseID}}">case {{caseID}}</a> {{caseStatus}}{{#lastAction}}: {{lastAction}}{{/lastAction}}{{/caseID}}{{^caseID}}no case{{/caseID}}</td></tr>{{/timeline}}
        </tbody></table>
        {{/hasTimeline}}
        {{^hasTimeline}}<p>No items.</p>{{/hasTimeline}}
        <h2>Previous decisions</h2>
        {{#hasDecisions}}
        <table><thead><tr><th>when</th><th>reviewer</th><th>action</th><th>category</th><th>exemption and note</th></tr></thead><tbody>
        {{#decisions}}<tr><td>{{when}}</td><td>{{reviewer}}</td><td>{{action}}</td><td>{{category}}</td><td dir="auto">{{#exemption}}exemption: {{exemption}}. {{/exemption}}{{note}}</td></tr>{{/decisions}}
        </tbody></table>
        {{/hasDecisions}}
        {{^hasDecisions}}<p>No decisions yet.</p>{{/hasDecisions}}
        {{#canDecide}}
        <h2>Decide</h2>
        <form method="post" action="/console/entities/{{id}}/decisions" id="decide">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <fieldset><legend>Action</legend>
        {{#actions}}<label><input type="radio" name="action" value="{{value}}" data-key="{{key}}" required> {{label}} <kbd>{{key}}</kbd></label>{{/actions}}
        </fieldset>
        <label for="category">Policy category</label><select id="category" name="category"><option value="">none</option>{{#categories}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/categories}}</select>
        <label for="exemption">Exemption</label><input id="exemption" name="exemption">
        <label for="note">Note</label><textarea id="note" name="note" rows="3" cols="60"></textarea>
        <p><button type="submit">Decide</button> <kbd>Ctrl</kbd>+<kbd>Enter</kbd></p>
        </form>
        {{> decideKeys}}
        {{/canDecide}}
        {{> foot}}
        """

    /// The decision form's shortcuts: a letter picks an action, Ctrl+Enter sends the form.
    static let decideKeys = """
        <script>
        document.addEventListener('keydown', function (e) {
          var form = document.getElementById('decide');
          if (e.ctrlKey && e.key === 'Enter') { form.requestSubmit(); return; }
          var t = e.target.tagName;
          if ((t === 'INPUT' && e.target.type !== 'radio') || t === 'TEXTAREA' || t === 'SELECT') return;
          if (e.ctrlKey || e.metaKey || e.altKey) return;
          var radio = form.querySelector('input[data-key="' + e.key + '"]');
          if (radio) { radio.checked = true; radio.focus(); e.preventDefault(); }
        });
        </script>
        """

    /// The whole queue's counts (rendered inside `queueCounts`; `count` is the rows shown).
    static let queueCounts = """
        <section aria-labelledby="queue-counts"><h2 id="queue-counts">{{total}} open cases in the queue</h2>
        <p>{{count}} shown below, highest priority first.</p>
        <dl>
        <dt>By source</dt><dd>{{#sources}}{{#href}}<a href="{{href}}">{{name}}</a>{{/href}}{{^href}}{{name}}{{/href}}: {{count}}<br>{{/sources}}</dd>
        <dt>By language</dt><dd>{{#languages}}{{#href}}<a href="{{href}}">{{name}}</a>{{/href}}{{^href}}{{name}}{{/href}}: {{count}}<br>{{/languages}}</dd>
        <dt>By category</dt><dd>{{#categories}}{{#href}}<a href="{{href}}">{{name}}</a>{{/href}}{{^href}}{{name}}{{/href}}: {{count}}<br>{{/categories}}</dd>
        </dl></section>
        """

    static let caseClaim = """
        {{#claim}}<p class="notice" role="status">{{#mine}}You hold this case until {{until}}.{{/mine}}{{^mine}}Claimed by {{by}} until {{until}}: until then only they can decide it.{{/mine}}</p>{{/claim}}
        {{#canClaim}}<form method="post" action="/console/cases/{{id}}/claim"><input type="hidden" name="csrf" value="{{csrf}}"><p><button type="submit">{{#claim}}Extend my claim{{/claim}}{{^claim}}Claim{{/claim}}</button> holds the case for you for {{claimMinutes}} minutes.</p></form>{{/canClaim}}
        """

    static let caseEntities = """
        {{#hasEntities}}<h2>Author and container</h2>
        {{#entities}}<section aria-labelledby="entity-{{id}}"><h3 id="entity-{{id}}">{{role}}: <a href="/console/entities/{{id}}">{{kindLabel}} <span dir="auto">{{name}}</span></a></h3>
        <p>{{platform}} / <span dir="auto">{{externalID}}</span> · status <strong>{{status}}</strong> · reach {{reach}} {{reachLabel}} · risk {{risk}}{{#reappearanceOf}} · re-appearance of <a href="/console/entities/{{reappearanceOf}}">entity {{reappearanceOf}}</a>{{/reappearanceOf}}</p>
        <p>Largest parts of the risk: {{#topParts}}{{name}} {{value}}; {{/topParts}}</p>
        {{#hasDecisions}}<p>Previous decisions ({{decisionCount}}), latest first:</p>
        <ul>{{#decisions}}<li>{{when}} {{reviewer}}: {{action}}{{#category}} ({{category}}){{/category}}{{#note}} · <span dir="auto">{{note}}</span>{{/note}}</li>{{/decisions}}</ul>{{/hasDecisions}}
        {{^hasDecisions}}<p>No previous decisions.</p>{{/hasDecisions}}
        </section>{{/entities}}{{/hasEntities}}
        """

    /// Evidence by kind; every row carries every key the template reads, so that no lookup
    /// falls through to the page's own fields.
    static let caseEvidence = """
        <h2>Evidence</h2>
        <h3>Lexicon entries</h3>
        {{#hasLexicon}}
        <table><thead><tr><th>entry</th><th>kind</th><th>name</th><th>category</th><th>weight</th><th>matched text</th></tr></thead><tbody>
        {{#lexicon}}<tr><td>{{id}}</td><td>{{kind}}</td><td dir="auto">{{name}}</td><td>{{category}}</td><td>{{weight}}</td><td dir="auto"{{#itemLang}} lang="{{itemLang}}"{{/itemLang}}>{{text}}</td></tr>{{/lexicon}}
        </tbody></table>
        {{/hasLexicon}}
        {{^hasLexicon}}<p>No lexicon entry matched.</p>{{/hasLexicon}}
        <h3>Known content</h3>
        {{#hasKnown}}
        <table><caption>Known texts</caption><thead><tr><th>match</th><th>entry</th><th>similarity</th></tr></thead><tbody>
        {{#known}}<tr><td>{{match}}</td><td>{{entry}}</td><td>{{similarity}}</td></tr>{{/known}}
        </tbody></table>
        {{/hasKnown}}
        {{#hasImages}}
        <table><caption>Images and hash banks</caption><thead><tr><th>image</th><th>bank</th><th>entry</th><th>signal</th><th>distance</th></tr></thead><tbody>
        {{#images}}<tr><td>image {{n}}{{#frames}}<br><small>{{frames}}</small>{{/frames}}</td>{{#matched}}<td>{{bank}}</td><td>{{entry}}</td><td>{{type}}</td><td>{{distance}}{{#frame}}, {{frame}}{{/frame}}{{#asStored}}, {{asStored}}{{/asStored}}{{#video}}; {{video}}{{/video}}</td>{{/matched}}{{^matched}}<td colspan="4">{{outcome}}</td>{{/matched}}</tr>{{/images}}
        </tbody></table>
        {{/hasImages}}
        {{^hasKnown}}{{^hasImages}}<p>No match with known content.</p>{{/hasImages}}{{/hasKnown}}
        <h3>Links</h3>
        {{#hasLinks}}
        <p>Links are shown as text, not made clickable.</p>
        <table><thead><tr><th>link</th><th>host</th><th>list</th></tr></thead><tbody>
        {{#links}}<tr><td dir="ltr">{{url}}</td><td dir="ltr">{{host}}</td><td>{{#isListed}}<strong>{{listed}}</strong>{{/isListed}}{{^isListed}}{{listed}}{{/isListed}}</td></tr>{{/links}}
        </tbody></table>
        {{/hasLinks}}
        {{^hasLinks}}<p>No links.</p>{{/hasLinks}}
        {{#hasOtherEvidence}}<h3>Classifier and context</h3>
        <ul>{{#otherEvidence}}<li>{{kind}}: {{detail}}{{#text}} · <span dir="auto"{{#itemLang}} lang="{{itemLang}}"{{/itemLang}}>{{text}}</span>{{/text}}</li>{{/otherEvidence}}</ul>{{/hasOtherEvidence}}
        {{#weighed}}<h3>How the classifier weighs the words now</h3>
        <p>Violating {{violating}}. Each word's share of the weight the text carries.</p>
        <ul><li>raised: <span dir="auto"{{#itemLang}} lang="{{itemLang}}"{{/itemLang}}>{{raised}}</span></li>
        <li>lowered: <span dir="auto"{{#itemLang}} lang="{{itemLang}}"{{/itemLang}}>{{lowered}}</span></li></ul>{{/weighed}}
        """
}
