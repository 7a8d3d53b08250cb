/* Chronicle in the browser: the runtime that plays a compiled story (`chronicle export json`),
 * and the reader's page that shows it.
 *
 * The runtime has the same semantics as engine/runtime.py and engine/expr.py, and the golden
 * transcripts and a property test (tests/test_web_*.py) hold the two equal:
 *   - flag values are an array laid out by slot (story-wide first, then the chapter's own);
 *   - effects run in order, each seeing the ones before; an int is kept within its bounds;
 *   - integer arithmetic is exact (BigInt takes over past 2^53, where Python's ints keep going);
 *   - seen("node") is a bit per node that some seen() names, cleared at each chapter's start;
 *   - at an ending, the story-wide values carry into the next chapter.
 * A State is immutable: {chapter, node, values, seen, path}; path is a shared linked list of
 * moves (a choice's index in its node, or CONTINUE) so a step never copies the history.
 *
 * Story text is only ever put on the page with textContent, never as HTML.
 */
(function (root) {
  "use strict";

  var FORMAT = "chronicle-compiled";
  var VERSION = 2;  // the compiled format it reads (engine/export/compiled.py)
  var CONTINUE = -1;

  function PlayError(message) { this.name = "PlayError"; this.message = message; }
  PlayError.prototype = Object.create(Error.prototype);

  // ---- the expression language ------------------------------------------------------------

  function isBig(x) { return typeof x === "bigint"; }
  function norm(x) {  // a BigInt back to a Number when it fits exactly
    return (isBig(x) && x >= -9007199254740991n && x <= 9007199254740991n) ? Number(x) : x;
  }
  var SMALL = 2147483648;  // below this, a float quotient floors exactly
  function arith(op, a, b) {
    if (!isBig(a) && !isBig(b)) {
      if (op === "+" || op === "-" || op === "*") {
        var r = op === "+" ? a + b : op === "-" ? a - b : a * b;
        if (Number.isSafeInteger(r)) return r;
      } else if (Math.abs(a) <= SMALL && Math.abs(b) <= SMALL) {
        if (b === 0) return 0;  // as engine.expr: `check` reports a divisor that can be 0; play gives 0
        if (op === "//") return Math.floor(a / b) + 0;
        var m = a % b;  // Python's % takes the divisor's sign
        return (m !== 0 && (m < 0) !== (b < 0) ? m + b : m) + 0;
      }
    }
    var x = BigInt(a), y = BigInt(b);
    if (op === "+") return norm(x + y);
    if (op === "-") return norm(x - y);
    if (op === "*") return norm(x * y);
    if (y === 0n) return 0;
    var q = x / y, rem = x % y;
    if (rem !== 0n && (rem < 0n) !== (y < 0n)) { q -= 1n; rem += y; }
    return norm(op === "//" ? q : rem);
  }
  function eq(a, b) { return (isBig(a) || isBig(b)) ? a == b : a === b; }  // eslint-disable-line eqeqeq

  var CMP = {
    "==": eq,
    "!=": function (a, b) { return !eq(a, b); },
    "<": function (a, b) { return a < b; },
    "<=": function (a, b) { return a <= b; },
    ">": function (a, b) { return a > b; },
    ">=": function (a, b) { return a >= b; }
  };

  // Compile a tree to a closure (values, seen) -> value, as engine.expr.compile_expr does.
  function compileExpr(e, ch) {
    switch (e.$) {
      case "Lit": { var v = e.value; return function () { return v; }; }
      case "Var":
      case "Visits": {  // visits("node") reads its count like an int flag of that name
        var i = ch.slots[e.name];
        if (i === undefined) throw new PlayError("unknown flag '" + e.name + "' in chapter '" + ch.id + "'");
        return function (vals) { return vals[i]; };
      }
      case "Seen": {
        var bit = ch.seenBit[e.node];
        if (bit === undefined) return function () { return false; };
        return function (vals, seen) { return ch.hasBit(seen, bit); };
      }
      case "Not": { var f = compileExpr(e.operand, ch); return function (vals, seen) { return !f(vals, seen); }; }
      case "Neg": {
        var g = compileExpr(e.operand, ch);
        return function (vals, seen) { var x = g(vals, seen); return isBig(x) ? norm(-x) : (x === 0 ? 0 : -x); };
      }
      case "BoolOp": {
        var fs = e.operands.map(function (x) { return compileExpr(x, ch); });
        if (e.op === "and") {
          return function (vals, seen) {
            for (var k = 0; k < fs.length; k++) if (!fs[k](vals, seen)) return false;
            return true;
          };
        }
        return function (vals, seen) {
          for (var k = 0; k < fs.length; k++) if (fs[k](vals, seen)) return true;
          return false;
        };
      }
      case "Compare": {
        var cmp = CMP[e.op], l = compileExpr(e.left, ch), r = compileExpr(e.right, ch);
        if (e.left.$ === "Var" && e.right.$ === "Lit" && typeof e.right.value !== "number") {
          var si = ch.slots[e.left.name], c = e.right.value;
          if (e.op === "==") return function (vals) { return vals[si] === c; };
          if (e.op === "!=") return function (vals) { return vals[si] !== c; };
        }
        return function (vals, seen) { return cmp(l(vals, seen), r(vals, seen)); };
      }
      case "Arith": {
        var op = e.op, al = compileExpr(e.left, ch), ar = compileExpr(e.right, ch);
        return function (vals, seen) { return arith(op, al(vals, seen), ar(vals, seen)); };
      }
      default:
        throw new PlayError("this story uses an expression this player does not know ('" + e.$ +
                            "'); export it again with the matching Chronicle");
    }
  }

  // Inline text (engine/inline.py): segments are strings and Show / Branch / Seq parts.
  function showValue(v) { return typeof v === "boolean" ? (v ? "true" : "false") : String(v); }
  function compileInline(segs, ch, countSlot) {
    var parts = segs.map(function (x) { return compileSegment(x, ch, countSlot); });
    if (parts.length === 1) return parts[0];
    return function (vals, seen) {
      var out = "";
      for (var i = 0; i < parts.length; i++) out += parts[i](vals, seen);
      return out;
    };
  }
  function compileSegment(x, ch, k) {
    if (typeof x === "string") return function () { return x; };
    switch (x.$) {
      case "Value": case "inline.Show": {
        var f = compileExpr(x.expr, ch);
        return function (vals, seen) { return showValue(f(vals, seen)); };
      }
      case "Branch": {
        var test = compileExpr(x.cond, ch), then = compileInline(x.then || [], ch, k), other = compileInline(x.other || [], ch, k);
        return function (vals, seen) { return test(vals, seen) ? then(vals, seen) : other(vals, seen); };
      }
      case "Seq": {
        var options = x.options.map(function (o) { return compileInline(o, ch, k); }), n = options.length;
        // The visit count a sequence follows: its own expression, or the enclosing node's count.
        var count = x.count ? compileExpr(x.count, ch) : function (vals) { return vals[k]; };
        if (x.kind === "&") return function (vals, seen) { return options[(Math.max(count(vals, seen), 1) - 1) % n](vals, seen); };
        return function (vals, seen) { var v = count(vals, seen); return v >= 1 && v <= n ? options[v - 1](vals, seen) : ""; };
      }
      default:
        throw new PlayError("this story uses inline text this player does not know ('" + x.$ + "')");
    }
  }
  function textPart(p, ch, countSlot) {
    return {
      text: p.text, elseText: p.else_text || null,
      render: p.inline ? compileInline(p.inline, ch, countSlot) : null,
      elseRender: p.else_inline ? compileInline(p.else_inline, ch, countSlot) : null,
      test: p.condition ? compileExpr(p.condition, ch) : null
    };
  }
  function effectOf(eff, ch) {
    return { slot: eff.slot, fn: compileEffect(eff, ch),
             min: eff.min === undefined ? null : eff.min, max: eff.max === undefined ? null : eff.max };
  }

  function compileEffect(eff, ch) {  // -> function(vals, seen) giving the new, unclamped value
    var x = eff.expr;
    if (x.op === "=") return compileExpr(x.value, ch);
    var i = ch.slots[x.target], f = compileExpr(x.value, ch), op = x.op === "+=" ? "+" : "-";
    return function (vals, seen) { return arith(op, vals[i], f(vals, seen)); };
  }

  // ---- loading a compiled story -------------------------------------------------------------

  var WS = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var BLANK_LINE = new RegExp("\\n" + WS + "*\\n");
  var SPACE = new RegExp(WS + "+", "g");
  var TRIM = new RegExp("^" + WS + "+|" + WS + "+$", "g");

  /* Split prose into paragraphs at blank lines, as engine.runtime.paragraphs does. */
  function paragraphs(text) {
    var out = [];
    text.split(BLANK_LINE).forEach(function (chunk) {
      var p = chunk.replace(SPACE, " ").replace(TRIM, "");
      if (p) out.push(p);
    });
    return out;
  }

  function load(doc) {
    if (!doc || typeof doc !== "object" || doc.format !== FORMAT) {
      throw new PlayError("this is not a compiled Chronicle story");
    }
    if (typeof doc.version !== "number" || doc.version > VERSION) {
      throw new PlayError("this story was exported by a newer Chronicle (format " + doc.version +
                          "); this player reads format " + VERSION);
    }
    var s = doc.story;
    var story = {
      title: s.title, byline: s.byline || null, intro: s.intro || null, epilogue: s.epilogue || null,
      lang: s.lang || "en", hash: s.content_hash, flags: s.flags || [], facts: s.facts || {},
      chapters: [], byId: {}, nStory: (s.flags || []).length, doc: doc
    };
    s.chapters.forEach(function (c, number) {
      var ch = {
        id: c.id, title: c.title, number: number + 1, start: c.start, layout: c.layout, nodes: {},
        slots: {}, seenBit: {}, next: null, raw: c
      };
      c.layout.forEach(function (f) { ch.slots[f.name] = f.slot; });
      // Seen bits: small masks as plain numbers, any number of them exactly with BigInt.
      var bits = c.seen_bits || {}, names = Object.keys(bits), n = 0;
      names.forEach(function (k) { n = Math.max(n, Math.round(Math.log2(bits[k])) + 1); });
      if (n <= 31) {
        names.forEach(function (k) { ch.seenBit[k] = bits[k]; });
        ch.noSeen = 0;
        ch.hasBit = function (seen, bit) { return (seen & bit) !== 0; };
        ch.setBit = function (seen, bit) { return seen | bit; };
      } else {
        names.forEach(function (k) { ch.seenBit[k] = 1n << BigInt(Math.round(Math.log2(bits[k]))); });
        ch.noSeen = 0n;
        ch.hasBit = function (seen, bit) { return (seen & bit) !== 0n; };
        ch.setBit = function (seen, bit) { return seen | bit; };
      }
      // Defaults of everything after the story-wide flags: the chapter's own, then visit counts.
      ch.defaults = c.layout.slice((s.flags || []).length).map(function (f) { return f.default; });
      Object.keys(c.nodes).forEach(function (id) {
        var raw = c.nodes[id];
        var countSlot = ch.slots['visits("' + id + '")'];
        var node = {
          id: id, raw: raw, ending: raw.ending || null, records: raw.records || [],
          date: raw.shown_date ? raw.shown_date.human : null, place: raw.shown_place || null,
          bit: ch.seenBit[id], next: raw.next || null, returns: !!raw.returns, text: [], choices: [],
          enter: (raw.enter || []).map(function (eff) { return effectOf(eff, ch); })
        };
        (raw.text || []).forEach(function (p) { node.text.push(textPart(p, ch, countSlot)); });
        (raw.choices || []).forEach(function (c2) {
          var effects = (c2.effects || []).map(function (eff) { return effectOf(eff, ch); });
          if (c2.count) effects.push(effectOf(c2.count, ch));  // a choice's visit count, after its effects
          node.choices.push({
            index: c2.index, text: c2.text, target: c2.target, canon: !!c2.canon, key: c2.key || ("@" + c2.target),
            returnsTo: c2.returns_to || null,  // a call: where play comes back to when it returns
            label: c2.label ? textPart(c2.label, ch, countSlot) : null,  // its text, when it has inline parts
            conditionSrc: c2.condition_src || null,
            test: c2.condition ? compileExpr(c2.condition, ch) : null,
            effects: effects, say: c2.say ? textPart(c2.say, ch, countSlot) : null
          });
        });
        ch.nodes[id] = node;
      });
      story.chapters.push(ch);
      story.byId[ch.id] = ch;
    });
    for (var i = 0; i + 1 < story.chapters.length; i++) story.chapters[i].next = story.chapters[i + 1];
    // The epilogue's parts read the story-wide flags as the last ending left them (runtime.epilogue_text).
    var storyScope = { id: "(epilogue)", slots: {}, seenBit: {}, hasBit: function () { return false; } };
    story.flags.forEach(function (f) { storyScope.slots[f.name] = f.slot; });
    story.epilogueParts = (s.epilogue_parts || []).map(function (p) { return textPart(p, storyScope, undefined); });
    story.storyDefaults = story.flags.map(function (f) { return f.default; });
    return story;
  }

  // ---- playing -----------------------------------------------------------------------------

  // lead: paragraphs shown before the node's own text (a choice's `say:`, `next:` nodes passed through).
  // stack: where each unfinished `call:` returns to, innermost last (runtime.State.stack).
  function State(chapter, node, values, seen, path, lead, stack) {
    this.chapter = chapter; this.node = node; this.values = values; this.seen = seen; this.path = path;
    this.lead = lead; this.stack = stack || NO_STACK;
    this.said = 0;  // how many lead paragraphs are the chosen choice's `say:` (runtime.State.said)
  }
  var NO_LEAD = [], NO_STACK = [];
  // A path: null, or {move, prev, length}.
  function push(path, move) { return { move: move, prev: path, length: path ? path.length + 1 : 1 }; }
  function pathArray(path) {
    var out = new Array(path ? path.length : 0);
    for (var p = path, i = out.length - 1; p; p = p.prev, i--) out[i] = p.move;
    return out;
  }

  function chapterOf(story, id) {
    var ch = story.byId[id];
    if (!ch) throw new PlayError("there is no chapter '" + id + "'");
    return ch;
  }
  function nodeOf(story, state) { return story.byId[state.chapter].nodes[state.node]; }
  function seenAt(ch, node, seen) { return node.bit === undefined ? seen : ch.setBit(seen, node.bit); }

  /* Enter a node (its count and `do:` applied, its seen bit set) and go on through `next:`
   * nodes and returning nodes (back to the top of the call stack), whose text joins the lead:
   * play stops only where the reader has something to do. What `lead` holds on the way in is the
   * chosen choice's `say:` (State.said counts it). */
  function arrive(ch, id, values, seen, path, lead, stack) {
    var node = ch.nodes[id], after, said = lead.length;
    stack = stack || NO_STACK;
    values = applyAll(node.enter, values, seen);
    seen = seenAt(ch, node, seen);
    for (;;) {
      if (node.next !== null) after = node.next;
      else if (node.returns && stack.length) { after = stack[stack.length - 1]; stack = stack.slice(0, -1); }
      else break;
      if (lead === NO_LEAD) lead = [];
      Array.prototype.push.apply(lead, textOf(node, values, seen));
      node = ch.nodes[after];
      values = applyAll(node.enter, values, seen);
      seen = seenAt(ch, node, seen);
    }
    var state = new State(ch.id, node.id, values, seen, path, lead, stack);
    state.said = said;
    return state;
  }

  function chapterValues(story, ch, carried) {
    return (carried ? carried.slice(0, story.nStory) : story.storyDefaults.slice()).concat(ch.defaults);
  }

  function accepts(f, v) {
    if (f.type === "bool") return typeof v === "boolean";
    if (f.type === "int") {
      return typeof v === "number" && Number.isInteger(v) &&
        (f.min === undefined || f.min === null || v >= f.min) && (f.max === undefined || f.max === null || v <= f.max);
    }
    return typeof v === "string" && (f.values || []).indexOf(v) >= 0;
  }

  function start(story, chapterId, at, flags) {
    if (!story.chapters.length) throw new PlayError("the story has no chapters");
    var ch = chapterId ? chapterOf(story, chapterId) : story.chapters[0];
    var id = at || ch.start;
    if (!ch.nodes[id]) throw new PlayError("chapter '" + ch.id + "' has no node '" + id + "'");
    var values = chapterValues(story, ch, null);
    Object.keys(flags || {}).forEach(function (name) {
      var f = null;
      ch.layout.forEach(function (x) { if (x.name === name) f = x; });
      if (!f) throw new PlayError("there is no flag '" + name + "' in chapter '" + ch.id + "'");
      if (!accepts(f, flags[name])) throw new PlayError(JSON.stringify(flags[name]) + " is not a valid value for " + name);
      values[f.slot] = flags[name];
    });
    var first = arrive(ch, id, values.slice(), ch.noSeen, null, NO_LEAD);
    first.entry = values;  // the flags its node was entered with, before its `do:`: what a save starts from
    return first;
  }

  /* The choices offered, each with its text as the reader sees it here (runtime.available). */
  function available(story, state) {
    var node = nodeOf(story, state), out = [], v = state.values, s = state.seen, cs = node.choices;
    for (var i = 0; i < cs.length; i++) if (cs[i].test === null || cs[i].test(v, s)) out.push(choiceHere(cs[i], v, s));
    return out;
  }
  /* The choice with its inline parts resolved for these values (itself when it has none). */
  function choiceHere(c, values, seen) {
    if (c.label === null || c.label.render === null) return c;
    return Object.assign({}, c, { text: c.label.render(values, seen).replace(SPACE, " ").replace(TRIM, "") });
  }
  function choiceText(state, c) { return choiceHere(c, state.values, state.seen).text; }

  function applyAll(effs, values, seen) {
    if (!effs.length) return values;
    var vals = values.slice();
    for (var i = 0; i < effs.length; i++) {
      var e = effs[i], x = e.fn(vals, seen);
      if (e.min !== null && x < e.min) x = e.min;
      else if (e.max !== null && x > e.max) x = e.max;
      vals[e.slot] = isBig(x) ? Number(x) : x;
    }
    return vals;
  }

  function choose(story, state, choice) {
    var ch = story.byId[state.chapter], node = ch.nodes[state.node];
    if (typeof choice === "number") {
      if (!(choice >= 0 && choice < node.choices.length)) throw new PlayError("node '" + node.id + "' has no choice " + (choice + 1));
      choice = node.choices[choice];
    }
    if (choice.test !== null && !choice.test(state.values, state.seen)) {
      throw new PlayError("'" + choice.text + "' is not available here (it needs " + choice.conditionSrc + ")");
    }
    var values = applyAll(choice.effects, state.values, state.seen), lead = NO_LEAD, stack = state.stack;
    if (choice.say !== null) lead = paragraphs(render(choice.say, values, state.seen, true));
    if (choice.returnsTo !== null) stack = stack.concat([choice.returnsTo]);  // a call: remember the way back
    return arrive(ch, choice.target, values, state.seen, push(state.path, choice.index), lead, stack);
  }

  function isEnding(story, state) { return nodeOf(story, state).ending !== null; }
  function isFinal(story, state) { return isEnding(story, state) && !story.byId[state.chapter].next; }

  function advance(story, state) {
    if (!isEnding(story, state)) throw new PlayError("only an ending leads into the next chapter");
    var nxt = story.byId[state.chapter].next;
    if (!nxt) throw new PlayError("this is the last chapter's ending; the story is over");
    return arrive(nxt, nxt.start, chapterValues(story, nxt, state.values), nxt.noSeen, push(state.path, CONTINUE), NO_LEAD);
  }

  function step(story, state, move) { return move === CONTINUE ? advance(story, state) : choose(story, state, move); }

  function replay(story, first, moves) {
    var states = [first];
    for (var i = 0; i < moves.length; i++) {
      try { states.push(step(story, states[states.length - 1], moves[i])); } catch (e) {
        if (e instanceof PlayError) throw new PlayError("step " + (i + 1) + ": " + e.message);
        throw e;
      }
    }
    return states;
  }

  function render(p, values, seen, main) {
    if (main) return p.render !== null ? p.render(values, seen) : p.text;
    return p.elseRender !== null ? p.elseRender(values, seen) : p.elseText;
  }
  function textOf(node, values, seen) { return resolve(node.text, values, seen); }
  function resolve(parts, values, seen) {
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i], text;
      if (p.test === null || p.test(values, seen)) text = render(p, values, seen, true);
      else if (p.elseText) text = render(p, values, seen, false);
      else continue;
      Array.prototype.push.apply(out, paragraphs(text));
    }
    return out;
  }
  /* What arriving here shows, as paragraphs: the lead, then the node's prose resolved for this state. */
  function nodeText(story, state) {
    return state.lead.concat(textOf(nodeOf(story, state), state.values, state.seen));
  }

  /* The epilogue as paragraphs for the final state; [] when the story has none. */
  function epilogueText(story, state) {
    if (!story.epilogueParts.length && story.epilogue) return paragraphs(story.epilogue);  // an older export
    return resolve(story.epilogueParts, state.values.slice(0, story.nStory), 0);
  }
  /* A fact a branch broke, as the reader is told it (runtime.told_broken). */
  function toldBroken(fact) { return fact.instead || "In your history, this did not happen: " + fact.statement; }

  function flagValues(story, state) {
    var out = {};
    story.byId[state.chapter].layout.forEach(function (f) {
      if (f.scope !== "visits") out[f.name] = state.values[f.slot];  // counts follow from the path
    });
    return out;
  }
  function seenNodes(story, state) {
    var ch = story.byId[state.chapter];
    return Object.keys(ch.seenBit).filter(function (n) { return ch.hasBit(state.seen, ch.seenBit[n]); }).sort();
  }
  /* The state as plain data: what the property test compares with Python's State. */
  function snapshot(story, state) {
    return { chapter: state.chapter, node: state.node, values: state.values.slice(), seen: seenNodes(story, state),
             path: pathArray(state.path), stack: state.stack.slice(), said: state.said };
  }

  /* (date, place) to show for the last state: the nearest known, walking back (runtime.scene). */
  function scene(story, states) {
    var date = null, place = null;
    for (var i = states.length - 1; i >= 0; i--) {
      var s = states[i], node = nodeOf(story, s);
      date = date || node.date; place = place || node.place;
      if (date && place) break;
      if (s.node === story.byId[s.chapter].start && s.path && s.path.move === CONTINUE) break;
    }
    return { date: date, place: place };
  }

  // ---- saved games: the same JSON as the terminal's (engine/savefile.py) ---------------------------

  // Format 2 names each step by node and choice key ("tower:@stair"; ">" goes on into the next
  // chapter), so a save survives an edited story; format 1 (choice indices) still loads.
  var SAVE_FORMAT = "chronicle-save", SAVE_VERSION = 2, MAX_PATH = 100000, NEXT_CHAPTER = ">";

  function stepsOf(story, states) {
    var out = [];
    for (var i = 1; i < states.length; i++) {
      var before = states[i - 1], move = states[i].path.move;
      if (move === CONTINUE) { out.push(NEXT_CHAPTER); continue; }
      out.push(before.node + ":" + nodeOf(story, before).choices[move].key);
    }
    return out;
  }

  /* Replay format-2 steps by node and key: {states, stop} (stop: why a step no longer fits, or null). */
  function replaySteps(story, first, steps) {
    var states = [first];
    for (var i = 0; i < steps.length; i++) {
      var state = states[states.length - 1], stepText = steps[i], n = i + 1;
      if (stepText === NEXT_CHAPTER) {
        try { states.push(advance(story, state)); } catch (e) {
          return { states: states, stop: "step " + n + " went on into the next chapter from " + state.node +
                   ", which is no longer an ending" };
        }
        continue;
      }
      var cut = stepText.indexOf(":"), nid = stepText.slice(0, cut), key = stepText.slice(cut + 1);
      if (nid !== state.node) {
        return { states: states, stop: "step " + n + " was taken at '" + nid + "', but play now reaches '" + state.node + "' there" };
      }
      var choice = nodeOf(story, state).choices.filter(function (c) { return c.key === key; })[0];
      if (!choice) return { states: states, stop: "the choice your step " + n + " took at '" + nid + "' is no longer there" };
      if (choice.test !== null && !choice.test(state.values, state.seen)) {
        return { states: states, stop: "'" + choice.text + "' (your step " + n + ") is no longer on offer there" };
      }
      states.push(choose(story, state, choice));
    }
    return { states: states, stop: null };
  }

  function saveData(story, states, extra) {
    var first = states[0], last = states[states.length - 1];
    var path = stepsOf(story, states);
    var out = {
      format: SAVE_FORMAT, version: SAVE_VERSION, story: story.title, story_hash: story.hash,
      start: { chapter: first.chapter, node: first.node,
               flags: flagValues(story, first.entry ? { chapter: first.chapter, values: first.entry } : first) },
      path: path,
      state: { chapter: last.chapter, node: last.node, flags: flagValues(story, last), seen: seenNodes(story, last) }
    };
    Object.keys(extra || {}).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  function sameFlags(a, b) {
    if (!a || typeof a !== "object") return false;
    var ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return kb.every(function (k) { return a[k] === b[k]; });
  }

  /* Rebuild play from a save: {states, note}; a PlayError says plainly why it cannot be used. */
  function fromSave(story, data) {
    function refuse(why) { throw new PlayError(why); }
    if (!data || typeof data !== "object" || data.format !== SAVE_FORMAT) refuse("this is not a Chronicle save");
    var v = data.version;
    if (typeof v === "number" && Number.isInteger(v) && v > SAVE_VERSION) {
      refuse("this save was written by a newer Chronicle (format " + v + ")");
    }
    if (!(typeof v === "number" && Number.isInteger(v) && v >= 1)) refuse("the save's format version is damaged");
    if (data.story !== story.title) refuse("this save belongs to another story (" + JSON.stringify(data.story) + ")");
    var st = data.start, path = data.path, saved = data.state;
    if (!(st && typeof st === "object" && Array.isArray(path) && saved && typeof saved === "object")) {
      refuse("the save is incomplete (start, path or state is missing)");
    }
    if (path.length > MAX_PATH) refuse("the save's path of choices is too long");
    var stepOk = v === 1 ? function (m) { return Number.isInteger(m) && m >= CONTINUE; }
                         : function (m) { return typeof m === "string" && (m === NEXT_CHAPTER || m.indexOf(":") > 0) && m.length <= 400; };
    if (!path.every(stepOk)) refuse("the save's path of choices is damaged");
    if (typeof st.chapter !== "string" || typeof st.node !== "string" || !st.flags || typeof st.flags !== "object") {
      refuse("the save does not say where play started");
    }
    var changed = data.story_hash !== story.hash, first, states;
    try { first = start(story, st.chapter, st.node, st.flags); } catch (e) {
      refuse("the save starts where this story cannot: " + e.message);
    }
    if (v === 1) {
      try { states = replay(story, first, path); } catch (e) {
        if (changed) refuse("the story has changed since this save and its choices no longer fit (" + e.message + ")");
        refuse("the save's choices are impossible in this story (" + e.message + "); it was altered");
      }
    } else {
      var r = replaySteps(story, first, path);
      states = r.states;
      if (r.stop !== null) {
        if (!changed) refuse("the save's choices are impossible in this story (" + r.stop + "); it was altered");
        var at = states[states.length - 1];
        return { states: states, cut: true, note: "The story has changed since this save: " + r.stop +
                 ", so your game resumes after step " + (states.length - 1) + " of " + path.length + ", at '" +
                 at.node + "' in " + story.byId[at.chapter].title + "." };
      }
    }
    var last = states[states.length - 1];
    var matches = saved.chapter === last.chapter && saved.node === last.node && sameFlags(saved.flags, flagValues(story, last));
    if (!matches) {
      if (!changed) refuse("the saved position does not follow from the saved choices; it was altered");
      return { states: states, note: "The story has changed since this save; your " + path.length +
               " moves were replayed." };
    }
    return { states: states, note: changed ? "The story has changed since this save; your choices still fit it." : null };
  }

  var Runtime = {
    FORMAT: FORMAT, VERSION: VERSION, CONTINUE: CONTINUE, PlayError: PlayError,
    load: load, start: start, available: available, choose: choose, advance: advance, step: step, replay: replay,
    isEnding: isEnding, isFinal: isFinal, nodeOf: nodeOf, nodeText: nodeText, paragraphs: paragraphs,
    epilogueText: epilogueText, toldBroken: toldBroken,
    flagValues: flagValues, seenNodes: seenNodes, snapshot: snapshot, scene: scene, pathArray: pathArray,
    saveData: saveData, fromSave: fromSave, stepsOf: stepsOf
  };
  root.Chronicle = Runtime;
  if (typeof module === "object" && module.exports) module.exports = Runtime;
  if (typeof document === "undefined") return;

  // ==== the reader's page ===========================================================================

  var KIND_WORDS = { canon: "the documented history", personal: "a personal fate; history holds",
                     divergent: "history diverges", good: "a good ending", bad: "a bad ending", neutral: "an ending" };
  var SAVE_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
  var ENDINGS = "endings";  // the record of endings found, as the terminal keeps it (endings.json)

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;  // text, never HTML
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function whereOf(node) { return [node.place, node.date].filter(Boolean).join(", "); }

  function slug(title) { return (title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60)) || "story"; }

  function Reader(story) {
    this.story = story;
    this.states = [];
    this.prefix = "chronicle:" + slug(story.title) + ":";
  }

  Reader.prototype = {
    // ---- storage: one localStorage key per slot, JSON like the terminal's save files ------------
    storage: function () { try { return window.localStorage; } catch (e) { return null; } },
    readSlot: function (name) {
      var ls = this.storage(), raw = ls && ls.getItem(this.prefix + name);
      if (!raw) return null;
      try { return JSON.parse(raw); } catch (e) { return { damaged: true }; }
    },
    writeSlot: function (name, data) {
      var ls = this.storage();
      if (!ls) return false;
      try { ls.setItem(this.prefix + name, JSON.stringify(data)); return true; } catch (e) { return false; }
    },
    slots: function () {
      var ls = this.storage(), out = [];
      if (!ls) return out;
      for (var i = 0; i < ls.length; i++) {
        var k = ls.key(i);
        if (k.indexOf(this.prefix) === 0 && k !== this.prefix + ENDINGS) out.push(k.slice(this.prefix.length));
      }
      var self = this;
      return out.map(function (n) { return { name: n, data: self.readSlot(n) }; })
        .sort(function (a, b) { return ((b.data && b.data.saved) || "").localeCompare((a.data && a.data.saved) || ""); });
    },
    summary: function () {
      var st = this.states[this.states.length - 1], ch = this.story.byId[st.chapter], sc = scene(this.story, this.states);
      return { chapter: "Chapter " + ch.number + ": " + ch.title, place: sc.place, date: sc.date };
    },
    save: function (name) {
      return this.writeSlot(name, saveData(this.story, this.states,
        { summary: this.summary(), saved: new Date().toISOString() }));
    },
    autosave: function () {
      if (!this.states.length) return;
      this.save("autosave");
      this.recordEnding();
    },

    // ---- endings found, across playthroughs -------------------------------------------------------
    endingsFound: function () {
      var d = this.readSlot(ENDINGS);
      return (d && d.format === "chronicle-endings" && d.found && typeof d.found === "object") ? d.found : {};
    },
    recordEnding: function () {
      var st = this.current(), node = nodeOf(this.story, st);
      if (!node.ending) return;
      var found = this.endingsFound(), key = st.chapter + "/" + node.id;
      if (found[key]) return;
      found[key] = { chapter: st.chapter, node: node.id, title: node.ending.title, kind: node.ending.kind || null,
                     found: new Date().toISOString() };
      this.writeSlot(ENDINGS, { format: "chronicle-endings", version: 1, found: found });
      this.notice("You found this ending for the first time.");
    },
    showEndings: function () {
      var story = this.story, found = this.endingsFound(), body = $("endings-body");
      body.textContent = "";
      var got = 0, total = 0;
      story.chapters.forEach(function (ch) {
        body.appendChild(el("h3", {}, "Chapter " + ch.number + ": " + ch.title));
        var ul = el("ul", { "class": "register" });
        Object.keys(ch.nodes).forEach(function (id) {
          var e = ch.nodes[id].ending;
          if (!e) return;
          total++;
          var li = el("li");
          if (found[ch.id + "/" + id]) {
            got++;
            li.appendChild(el("strong", {}, e.title));
            if (KIND_WORDS[e.kind]) li.appendChild(document.createTextNode(" \u2014 " + KIND_WORDS[e.kind]));
            (e.diverges || []).forEach(function (fid) {
              var f = story.facts[fid];
              if (f) li.appendChild(el("span", { "class": "broke" }, toldBroken(f) + " (" + f.date.human + ")"));
            });
          } else {
            li.className = "unfound";
            li.appendChild(el("span", {}, "Not found yet"));
            if (e.hint) li.appendChild(el("span", { "class": "hint" }, e.hint));
          }
          ul.appendChild(li);
        });
        body.appendChild(ul);
      });
      $("endings-count").textContent = "You have found " + got + " of " + total + " endings.";
      openDialog($("endings"));
    },

    // ---- the title screen -------------------------------------------------------------------------
    showTitle: function () {
      var s = this.story;
      document.title = s.title;
      $("title-name").textContent = s.title;
      $("title-byline").textContent = s.byline || "";
      var intro = $("title-intro");
      intro.textContent = "";
      if (s.intro) paragraphs(s.intro).forEach(function (p) { intro.appendChild(el("p", {}, p)); });
      $("continue").hidden = !this.readSlot("autosave");
      $("load").hidden = !this.slots().length;
      $("endings-button").hidden = !Object.keys(this.endingsFound()).length;
      $("title-screen").hidden = false;
      $("play").hidden = true;
      $("bar").hidden = true;  // the title screen names the story itself
      $("new-game").focus();
    },

    begin: function (states, note) {
      this.states = states;
      $("title-screen").hidden = true;
      $("play").hidden = false;
      $("bar").hidden = false;
      this.renderAll();
      if (note) this.notice(note);
    },
    newGame: function () { this.begin([start(this.story)]); this.autosave(); },
    /* Start anywhere (authors and tests): a chapter, a node, flag values. */
    startAt: function (chapter, node, flags) { this.begin([start(this.story, chapter, node, flags)]); },
    resume: function (name) {
      var data = this.readSlot(name);
      if (!data) { this.notice("There is no save called " + name + "."); return false; }
      try {
        if (data.damaged) throw new PlayError("the save is damaged (not JSON)");
        var got = fromSave(this.story, data);
        this.begin(got.states, got.note);
        return true;
      } catch (e) {
        if (!(e instanceof PlayError)) throw e;
        this.notice("The save " + name + " cannot be used: " + e.message + ".", true);
        return false;
      }
    },

    // ---- moving ------------------------------------------------------------------------------------
    current: function () { return this.states[this.states.length - 1]; },
    pick: function (number) {
      var st = this.current();
      if (isEnding(this.story, st)) {
        if (number === 1 && !isFinal(this.story, st)) this.goOn();
        return;
      }
      var offered = available(this.story, st);
      if (!(number >= 1 && number <= offered.length)) return;
      var c = offered[number - 1];
      this.states.push(choose(this.story, st, c));
      var echo = this.appendChosen(number, c.text);
      this.appendPassage(this.states.length - 1, false);
      echo.scrollIntoView({ block: "start" });
      this.renderControls();
      this.autosave();
    },
    goOn: function () {
      this.states.push(advance(this.story, this.current()));
      this.renderAll();
      this.autosave();
    },
    undo: function () {
      if (this.states.length < 2) { this.notice("There is nothing to undo."); return; }
      this.states.pop();
      this.renderAll();
      this.autosave();
      this.notice("You stepped back one choice.");
    },

    // ---- drawing: the current chapter as a column of passages ----------------------------------------
    chapterStart: function () {
      var i = this.states.length - 1;
      while (i > 0 && this.states[i].path && this.states[i].path.move !== CONTINUE) i--;
      return i;
    },
    renderAll: function () {
      var log = $("log");
      log.textContent = "";
      var from = this.chapterStart();
      for (var i = from; i < this.states.length; i++) {
        if (i > from) {
          var prev = this.states[i - 1], move = this.states[i].path.move;
          var c = nodeOf(this.story, prev).choices[move];
          var n = available(this.story, prev).map(function (x) { return x.index; }).indexOf(c.index) + 1;
          this.appendChosen(n, choiceText(prev, c));
        }
        this.appendPassage(i, i === from);
      }
      this.renderControls();
      window.scrollTo(0, 0);
      $("log").querySelector(".card h2, .passage").focus({ preventScroll: true });
    },
    appendChosen: function (number, text) {
      var p = el("p", { "class": "chosen" });
      p.appendChild(el("span", { "class": "visually-hidden" }, "You chose: "));
      p.appendChild(el("span", { "class": "chosen-num", "aria-hidden": "true" }, number + ". "));
      p.appendChild(el("span", { "class": "chosen-text" }, text));
      $("log").appendChild(p);
      return p;
    },
    appendPassage: function (i, withCard) {
      var story = this.story, st = this.states[i], node = nodeOf(story, st), ch = story.byId[st.chapter];
      var sec = el("section", { "class": "passage", tabindex: "-1", "aria-label": node.date || ch.title });
      if (withCard) {
        var card = el("header", { "class": "card" });
        card.appendChild(el("p", { "class": "card-number" }, "Chapter " + ch.number));
        card.appendChild(el("h2", { "class": "card-title", tabindex: "-1" }, ch.title));
        var where = whereOf(node);
        if (where) card.appendChild(el("p", { "class": "card-where" }, where));
        sec.appendChild(card);
      }
      var paras = nodeText(story, st);
      if (!withCard) {  // place and date again wherever they change, as the terminal shows them
        var here = whereOf(node), before = "";
        for (var j = i - 1; j >= 0 && !before; j--) before = whereOf(nodeOf(story, this.states[j]));
        if (here && here !== before) {
          // what the chosen choice says belongs to the moment of choosing, before the change
          paras.slice(0, st.said).forEach(function (p) { sec.appendChild(el("p", { "class": "para" }, p)); });
          paras = paras.slice(st.said);
          sec.appendChild(el("p", { "class": "scene" }, here));
        }
      }
      paras.forEach(function (p) { sec.appendChild(el("p", { "class": "para" }, p)); });
      node.records.forEach(function (fid) {  // a fact happening here says so (documented, or the story's own)
        var f = story.facts[fid];
        if (!f) return;
        var rec = el("p", { "class": "record" });
        rec.appendChild(el("span", { "class": "record-label" }, f.story ? "In this story: " : "History: "));
        rec.appendChild(document.createTextNode(f.statement + " (" + f.date.human + ")"));
        sec.appendChild(rec);
      });
      if (node.ending) sec.appendChild(this.endingBlock(node.ending));
      if (isFinal(story, st)) sec.appendChild(this.epilogueBlock());
      $("log").appendChild(sec);
      return sec;
    },
    endingBlock: function (ending) {
      var story = this.story, box = el("aside", { "class": "ending ending-" + ending.kind, "aria-label": "Ending" });
      box.appendChild(el("h3", { "class": "ending-title" }, ending.title));
      if (ending.kind && KIND_WORDS[ending.kind]) box.appendChild(el("p", { "class": "ending-kind" }, KIND_WORDS[ending.kind]));
      var broken = (ending.diverges || []).map(function (fid) { return story.facts[fid]; }).filter(Boolean);
      // Documented history and the story's own events are told apart, each the right way round.
      [["History you changed:", false], ["Events of this story you changed:", true]].forEach(function (group) {
        var facts = broken.filter(function (f) { return !!f.story === group[1]; });
        if (!facts.length) return;
        box.appendChild(el("p", { "class": "diverged-lead" }, group[0]));
        var ul = el("ul", { "class": "diverged" });
        facts.forEach(function (f) { ul.appendChild(el("li", {}, toldBroken(f) + " (" + f.date.human + ")")); });
        box.appendChild(ul);
      });
      return box;
    },
    epilogueBlock: function () {
      var box = el("section", { "class": "epilogue", "aria-label": "Epilogue" });
      var words = epilogueText(this.story, this.current());
      if (words.length) {
        box.appendChild(el("h2", { "class": "epilogue-title" }, "Epilogue"));
        words.forEach(function (p) { box.appendChild(el("p", { "class": "para" }, p)); });
      }
      box.appendChild(el("p", { "class": "the-end" }, "The End"));
      return box;
    },
    renderControls: function () {
      var story = this.story, st = this.current(), list = $("choices"), self = this;
      list.textContent = "";
      var items = [];
      if (isEnding(story, st)) {
        if (isFinal(story, st)) {
          items.push(["Play again from the beginning", function () { self.newGame(); }]);
          items.push(["Back to the title screen", function () { self.showTitle(); }]);
        } else {
          var nxt = story.byId[st.chapter].next;
          items.push(["Go on to Chapter " + nxt.number + ": " + nxt.title, function () { self.goOn(); }]);
        }
      } else {
        available(story, st).forEach(function (c, i) { items.push([c.text, function () { self.pick(i + 1); }]); });
      }
      $("choices-label").textContent = isEnding(story, st) ? (isFinal(story, st) ? "The story is over" : "This chapter is over")
        : items.length ? "What do you do?"
        : nodeOf(story, st).returns
          ? "This scene returns, but play came here with no call to return to, so the story stops here. Undo to go back."
          : "No choice is available here: the story is stuck. Undo to go back.";
      items.forEach(function (it, i) {
        var li = el("li"), b = el("button", { type: "button", "class": "choice", "data-number": String(i + 1) });
        b.appendChild(el("span", { "class": "num", "aria-hidden": "true" }, String(i + 1)));
        b.appendChild(el("span", { "class": "label" }, it[0]));
        b.addEventListener("click", it[1]);
        li.appendChild(b);
        list.appendChild(li);
      });
      $("undo").disabled = this.states.length < 2;
    },
    notice: function (text, warn) {
      var n = $("notice");
      n.textContent = text;
      n.className = warn ? "notice warn" : "notice";
      n.hidden = false;
      clearTimeout(this._noticeTimer);
      this._noticeTimer = setTimeout(function () { n.hidden = true; }, warn ? 12000 : 5000);
    },

    // ---- the journal --------------------------------------------------------------------------------
    showJournal: function () {
      var story = this.story, states = this.states, body = $("journal-body");
      body.textContent = "";
      var shown = dossier(story, this.current());
      if (shown.length) {
        body.appendChild(el("h3", {}, "Dossier"));
        var dl = el("dl", { "class": "dossier" });
        shown.forEach(function (row) {
          dl.appendChild(el("dt", {}, row.label));
          var dd = el("dd");
          if (row.bar) {
            var m = el("meter", { min: String(row.bar[0]), max: String(row.bar[1]), value: String(row.value),
                                  "aria-label": row.label });
            dd.appendChild(m);
            dd.appendChild(el("span", { "class": "dim" }, " " + row.value + " of " + row.bar[1]));
          } else dd.textContent = row.text;
          dl.appendChild(dd);
        });
        body.appendChild(dl);
      }
      function eventItem(date, words) {
        var li = el("li");
        li.appendChild(el("span", { "class": "date" }, date));
        li.appendChild(document.createTextNode(" \u2014 " + words));
        return li;
      }
      var documented = el("ul", { "class": "events" }), own = el("ul", { "class": "events" });
      var changed = el("ul", { "class": "events" }), brokeSeen = {};
      states.forEach(function (s) {
        var node = nodeOf(story, s);
        node.records.forEach(function (fid) {
          var f = story.facts[fid];
          if (f) (f.story ? own : documented).appendChild(eventItem(f.date.human, f.statement));
        });
        ((node.ending && node.ending.diverges) || []).forEach(function (fid) {
          var f = story.facts[fid];
          if (!f || brokeSeen[fid]) return;
          brokeSeen[fid] = true;
          changed.appendChild(eventItem(f.date.human, toldBroken(f) +
            (f.story ? " (an event of this story, not documented history)" : "")));
        });
      });
      var hasHistory = Object.keys(story.facts).some(function (k) { return !story.facts[k].story; });
      if (hasHistory) {  // a story without documented history never speaks of it
        body.appendChild(el("h3", {}, "Documented events you have lived through"));
        body.appendChild(documented.children.length ? documented : el("p", { "class": "dim" }, "None yet."));
      }
      if (own.children.length) { body.appendChild(el("h3", {}, "Events of this story")); body.appendChild(own); }
      if (changed.children.length) { body.appendChild(el("h3", {}, "History you changed")); body.appendChild(changed); }
      body.appendChild(el("h3", {}, "The choices that led here"));
      var cur = null, any = false;
      for (var i = 0; i < states.length; i++) {
        var s = states[i], ch = story.byId[s.chapter], node = nodeOf(story, s);
        if (!cur || i === 0 || (s.path && s.path.move === CONTINUE)) {
          body.appendChild(el("h4", {}, "Chapter " + ch.number + ": " + ch.title));
          cur = el("ol", { "class": "made" });
          body.appendChild(cur);
        }
        if (node.ending) {
          any = true;
          cur.appendChild(el("li", { "class": "made-ending" }, "Ending: " + node.ending.title +
                                                (node.ending.kind ? " (" + node.ending.kind + ")" : "")));
        }
        if (i + 1 < states.length && states[i + 1].path.move !== CONTINUE) {
          any = true;
          var sc = scene(story, states.slice(0, i + 1)), c = node.choices[states[i + 1].path.move];
          cur.appendChild(el("li", {}, (sc.date ? sc.date + " \u2014 " : "") + choiceText(s, c)));
        }
      }
      if (!any) body.appendChild(el("p", { "class": "dim" }, "None yet."));
      openDialog($("journal"));
    },

    // ---- named saves ------------------------------------------------------------------------------------
    showSaves: function (mode) {
      var self = this, box = $("saves-body");
      $("saves-title").textContent = mode === "save" ? "Save the game" : "Load a game";
      $("save-form").hidden = mode !== "save";
      $("save-error").textContent = "";
      box.textContent = "";
      var slots = this.slots().filter(function (x) { return mode !== "save" || x.name.indexOf("autosave") !== 0; });
      if (!slots.length) box.appendChild(el("p", { "class": "dim" }, "No saved games yet."));
      var ul = el("ul", { "class": "slots" });
      slots.forEach(function (slot) {
        var d = slot.data || {}, sm = (d.summary && typeof d.summary === "object") ? d.summary : {};
        var li = el("li"), b = el("button", { type: "button", "class": "slot" });
        b.appendChild(el("strong", {}, slot.name));
        var desc = [sm.chapter, sm.place, sm.date].filter(function (x) { return typeof x === "string" && x; }).join(" \u00b7 ");
        b.appendChild(el("span", { "class": "slot-desc" }, desc || (d.damaged ? "damaged" : "")));
        b.addEventListener("click", function () {
          if (mode === "save") { $("save-name").value = slot.name; $("save-name").focus(); return; }
          closeDialog($("saves"));
          self.resume(slot.name);
        });
        li.appendChild(b);
        ul.appendChild(li);
      });
      box.appendChild(ul);
      openDialog($("saves"));
      if (mode === "save") $("save-name").focus();
    },
    saveNamed: function (raw) {
      var name = raw.trim().toLowerCase();
      if (!SAVE_NAME.test(name)) return "Use up to 40 letters, digits, - or _ (starting with a letter or digit).";
      if (name.indexOf("autosave") === 0) return "Names starting with 'autosave' are kept for automatic saves.";
      if (!this.save(name)) return "The browser would not store the save (private mode, or storage is full).";
      this.notice("Saved as " + name + ".");
      return null;
    }
  };

  /* The flags an author marked `show:`, as the reader sees them (model.Flag.shown). */
  function shownValue(f, v) {
    var key = v === true ? "true" : v === false ? "false" : String(v), words = (f.show && f.show.words) || {};
    if (Object.prototype.hasOwnProperty.call(words, key)) return words[key];
    if (f.type === "bool") return v ? "yes" : "no";
    return key.replace(/_/g, " ");
  }
  function dossier(story, state) {
    var out = [];
    story.byId[state.chapter].layout.forEach(function (f) {
      if (!f.show) return;
      var v = state.values[f.slot], bar = f.show.as_ === "bar" && f.type === "int" && f.min != null && f.max != null;
      out.push({ label: f.show.label, value: v, text: shownValue(f, v), bar: bar ? [f.min, f.max] : null });
    });
    return out;
  }


  function openDialog(d) {
    if (typeof d.showModal === "function") { if (!d.open) d.showModal(); } else d.setAttribute("open", "");
    // Start reading at the top: showModal focuses the first button, which may sit at the bottom.
    var h = d.querySelector("h2");
    h.setAttribute("tabindex", "-1");
    h.focus();
    d.scrollTop = 0;
  }
  function closeDialog(d) { if (typeof d.close === "function") d.close(); else d.removeAttribute("open"); }

  function boot() {
    var story;
    try {
      story = load(root.CHRONICLE_STORY);
    } catch (e) {
      $("title-name").textContent = "This story cannot be played";
      $("title-byline").textContent = (e && e.message) || String(e);
      $("title-actions").hidden = true;
      root.chronicleReader = null;
      return;
    }
    document.documentElement.lang = story.lang;
    $("bar-title").textContent = story.title;
    var reader = new Reader(story);
    root.chronicleReader = reader;
    $("new-game").addEventListener("click", function () { reader.newGame(); });
    $("continue").addEventListener("click", function () { reader.resume("autosave"); });
    $("load").addEventListener("click", function () { reader.showSaves("load"); });
    $("endings-button").addEventListener("click", function () { reader.showEndings(); });
    $("undo").addEventListener("click", function () { reader.undo(); });
    $("journal-button").addEventListener("click", function () { reader.showJournal(); });
    $("save-button").addEventListener("click", function () { reader.showSaves("save"); });
    $("load-button").addEventListener("click", function () { reader.showSaves("load"); });
    $("menu-button").addEventListener("click", function () { reader.showTitle(); });
    $("save-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var err = reader.saveNamed($("save-name").value);
      $("save-error").textContent = err || "";
      if (!err) closeDialog($("saves"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-close]"), function (b) {
      b.addEventListener("click", function () { closeDialog(b.closest("dialog")); });
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || $("play").hidden) return;
      var t = ev.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
      if (document.querySelector("dialog[open]")) return;
      if (/^[1-9]$/.test(ev.key)) {
        var b = document.querySelector('#choices button[data-number="' + ev.key + '"]');
        if (b) { ev.preventDefault(); b.click(); }
      } else if (ev.key === "u" || ev.key === "U") { ev.preventDefault(); reader.undo(); }
      else if (ev.key === "j" || ev.key === "J") { ev.preventDefault(); reader.showJournal(); }
    });
    reader.showTitle();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(typeof window !== "undefined" ? window : globalThis);
