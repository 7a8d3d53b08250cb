/* Chronicle in the browser, part one: the runtime that plays a compiled story (`chronicle export
 * json`). It mirrors engine/runtime.py and engine/expr.py; reader.js, the page, uses only what it
 * exports as `window.Chronicle` (and `module.exports`, so it can run outside a browser).
 *
 * The runtime has the same semantics as engine/runtime.py and engine/expr.py, and the golden
 * transcripts and a property test (tests/test_web_*.py) hold the two equal:
 *   - flag values are an array laid out by slot (story-wide first, then the chapter's own);
 *   - effects run in order, each seeing the ones before; an int is kept within its bounds;
 *   - integer arithmetic is exact (BigInt takes over past 2^53, where Python's ints keep going);
 *   - seen("node") is a bit per node that some seen() names, cleared at each chapter's start;
 *   - at an ending, the story-wide values carry into the next chapter;
 *   - chance comes from one seeded 32-bit generator (engine/luck.py, the same four functions):
 *     a state's luck steps on at every move, random() draws and shuffles follow from it.
 * A State is immutable: {chapter, node, values, seen, path, luck}; path is a shared linked list
 * of moves (a choice's index in its node, or CONTINUE) so a step never copies the history.
 */
(function (root) {
  "use strict";

  var FORMAT = "chronicle-compiled";
  var VERSION = 3;  // the compiled format it reads (engine/export/compiled.py)
  var CONTINUE = -1;

  function PlayError(message) { this.name = "PlayError"; this.message = message; }
  PlayError.prototype = Object.create(Error.prototype);

  // ---- chance (engine/luck.py, bit for bit) -------------------------------------------------

  function mix(x) {
    x = x >>> 0;
    x ^= x >>> 16; x = Math.imul(x, 0x85EBCA6B) >>> 0;
    x ^= x >>> 13; x = Math.imul(x, 0xC2B2AE35) >>> 0;
    x ^= x >>> 16;
    return x >>> 0;
  }
  function following(luck) { return mix(luck + 0x9E3779B9); }
  function drawOf(luck, k, lo, hi) { return lo + mix(luck ^ (Math.imul(k + 1, 0x7FEB352D) >>> 0)) % (hi - lo + 1); }
  function pick(luck, salt, n) { return mix(luck ^ (Math.imul(salt + 1, 0x846CA68B) >>> 0)) % n; }

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
  // Each closure is (vals, seen, luck): the luck decides what a shuffle shows.
  function compileInline(segs, ch, countSlot) {
    var parts = segs.map(function (x) { return compileSegment(x, ch, countSlot); });
    if (parts.length === 1) return parts[0];
    return function (vals, seen, luck) {
      var out = "";
      for (var i = 0; i < parts.length; i++) out += parts[i](vals, seen, luck);
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
        return function (vals, seen, luck) { return test(vals, seen) ? then(vals, seen, luck) : other(vals, seen, luck); };
      }
      case "Seq": {
        var options = x.options.map(function (o) { return compileInline(o, ch, k); }), n = options.length;
        if (x.kind === "~") {  // a shuffle: which option follows from the state's luck
          var salt = x.at;
          return function (vals, seen, luck) { return options[pick(luck || 0, salt, n)](vals, seen, luck); };
        }
        // The visit count a sequence follows: its own expression, or the enclosing node's count.
        var count = x.count ? compileExpr(x.count, ch) : function (vals) { return vals[k]; };
        if (x.kind === "&") return function (vals, seen, luck) { return options[(Math.max(count(vals, seen), 1) - 1) % n](vals, seen, luck); };
        if (x.kind === "") return function (vals, seen, luck) { return options[Math.min(Math.max(count(vals, seen), 1), n) - 1](vals, seen, luck); };
        return function (vals, seen, luck) { var v = count(vals, seen); return v >= 1 && v <= n ? options[v - 1](vals, seen, luck) : ""; };
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
    var v = eff.expr.value, draw = v && v.$ === "Random" ? [v.lo, v.hi] : null;
    return { slot: eff.slot, fn: draw ? null : compileEffect(eff, ch), draw: draw, target: eff.expr.target,
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

  // ---- is the data sound? ------------------------------------------------------------------
  /* What is wrong with a compiled story's data, or null. engine/verify.py checks a
   * compiled story the same way when the terminal loads one: the shapes and cross-references
   * play relies on (every goto, call, return and `next:` names a node of its chapter, every
   * flag sits in its slot, every effect writes the slot of the flag it names, every expression
   * names declared flags), so damaged data is refused with a sentence, never met as a
   * TypeError in the middle of play. */
  var OPS = { BoolOp: ["and", "or"], Compare: ["==", "!=", "<", "<=", ">", ">="], Arith: ["+", "-", "*", "//", "%"] };
  function isObj(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }
  function own(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function isInt(x) { return typeof x === "number" && Number.isInteger(x); }
  function isText(x) { return typeof x === "string"; }
  function orNull(x, test) { return x === undefined || x === null || test(x); }
  function listOf(x, test) { return x === undefined || (Array.isArray(x) && x.every(test)); }

  function damage(s) {
    var problem = null;
    function bad(at, what) { if (problem === null) problem = "at " + at + ": " + what; return false; }
    function fits(f, at) {
      if (!isObj(f) || !isText(f.name)) return bad(at, "a flag without a name");
      var d = f["default"];
      if (f.type === "bool" ? typeof d !== "boolean"
          : f.type === "int" ? !isInt(d) || !orNull(f.min, isInt) || !orNull(f.max, isInt)
          : f.type === "enum" ? !Array.isArray(f.values) || f.values.indexOf(d) < 0 : true) {
        return bad(at, "flag '" + f.name + "' has a default, bounds or values of the wrong kind");
      }
      return true;
    }
    function layout(flags, at) {
      if (!Array.isArray(flags)) return bad(at, "it is not a list of flags");
      var names = Object.create(null);
      return flags.every(function (f, i) {
        if (!fits(f, at + "[" + i + "]")) return false;
        if (f.slot !== i) return bad(at + "[" + i + "]", "flag '" + f.name + "' says it is in slot " + f.slot + ", but it is in slot " + i);
        if (names[f.name]) return bad(at + "[" + i + "]", "a second flag named '" + f.name + "'");
        names[f.name] = true;
        return true;
      });
    }
    var effectTop = false;  // random(lo, hi) is only the whole value of an `=` effect
    function expr(e, scope, at, depth) {
      if (depth > 200) return bad(at, "an expression nested too deeply");
      if (!isObj(e)) return bad(at, "an expression that is not a tree");
      switch (e.$) {
        case "Lit": return typeof e.value === "boolean" || isInt(e.value) || isText(e.value) || bad(at, "a literal of the wrong kind");
        case "Var": case "Visits":
          return (isText(e.name) && own(scope.slots, e.name)) || bad(at, "unknown flag '" + e.name + "'");
        case "Seen": return isText(e.node) || bad(at, "seen() without a node");
        case "Random":
          return (effectTop && isInt(e.lo) && isInt(e.hi) && e.lo <= e.hi && e.hi - e.lo < 1000) ||
            bad(at, "a damaged random()");
        case "Not": case "Neg": return expr(e.operand, scope, at, depth + 1);
        case "BoolOp":
          if (OPS.BoolOp.indexOf(e.op) < 0 || !Array.isArray(e.operands)) return bad(at, "a damaged and/or");
          return e.operands.every(function (x) { return expr(x, scope, at, depth + 1); });
        case "Compare": case "Arith":
          if (OPS[e.$].indexOf(e.op) < 0) return bad(at, "the operator " + JSON.stringify(e.op) + " is unknown");
          return expr(e.left, scope, at, depth + 1) && expr(e.right, scope, at, depth + 1);
        default: return bad(at, "an expression of an unknown kind");
      }
    }
    function segments(segs, scope, at, depth) {
      if (!Array.isArray(segs) || depth > 50) return bad(at, "inline text that is not a list");
      return segs.every(function (x) {
        if (isText(x)) return true;
        if (!isObj(x)) return bad(at, "an inline part of the wrong kind");
        if (x.$ === "Value") return expr(x.expr, scope, at, 0);
        if (x.$ === "Branch") return expr(x.cond, scope, at, 0) && segments(x.then, scope, at, depth + 1) && segments(x.other, scope, at, depth + 1);
        if (x.$ === "Seq") {
          if (!Array.isArray(x.options) || !x.options.length || ["", "&", "!", "~"].indexOf(x.kind) < 0) return bad(at, "a damaged sequence");
          return (x.count === undefined || x.count === null || expr(x.count, scope, at, 0)) &&
            x.options.every(function (o) { return segments(o, scope, at, depth + 1); });
        }
        return bad(at, "an inline part of an unknown kind");
      });
    }
    function part(p, scope, at) {
      if (!isObj(p) || !isText(p.text) || !orNull(p.else_text, isText)) return bad(at, "a text part without its text");
      return orNull(p.condition, function (e) { return expr(e, scope, at + ".condition", 0); }) &&
        orNull(p.inline, function (x) { return segments(x, scope, at + ".inline", 0); }) &&
        orNull(p.else_inline, function (x) { return segments(x, scope, at + ".else_inline", 0); });
    }
    function effect(eff, ch, at) {
      if (!isObj(eff) || !isInt(eff.slot) || !isObj(eff.expr)) return bad(at, "a damaged effect");
      var f = ch.layout[eff.slot];
      if (!f) return bad(at, "the effect writes slot " + eff.slot + ", which the chapter's layout does not have");
      if (f.name !== eff.expr.target) return bad(at, "the effect on '" + eff.expr.target + "' writes slot " + eff.slot + ", which holds '" + f.name + "'");
      if (["=", "+=", "-="].indexOf(eff.expr.op) < 0) return bad(at, "an effect with an unknown operator");
      effectTop = eff.expr.op === "=" && isObj(eff.expr.value) && eff.expr.value.$ === "Random";
      var ok = expr(eff.expr.value, ch, at, 0);
      effectTop = false;
      return ok;
    }
    function target(id, ch, at, what) {
      return id === undefined || id === null || (isText(id) && own(ch.nodes, id)) ||
        bad(at, what + " '" + id + "' names no node of chapter '" + ch.id + "'");
    }
    function node(n, id, ch, at) {
      if (!isObj(n) || n.id !== id) return bad(at, "a node filed under another id");
      if (!Array.isArray(n.text)) return bad(at + ".text", "it is not a list");
      if (!orNull(n.ending, function (e) { return isObj(e) && isText(e.title); })) return bad(at + ".ending", "an ending without a title");
      if (!orNull(n.shown_date, function (d) { return isObj(d) && isText(d.human); })) return bad(at + ".shown_date", "a date without its text");
      if (!orNull(n.shown_place, isText)) return bad(at + ".shown_place", "it is not text");
      if (!listOf(n.records, isText) || !listOf(n.return_to, isText)) return bad(at, "a list of ids that are not text");
      return target(n.next, ch, at + ".next", "next") &&
        listOf(n.branches, function (b, i) {
          var bat = at + ".branches[" + i + "]", last = i === n.branches.length - 1;
          if (!isObj(b) || !isText(b.target) || (b.condition === undefined || b.condition === null) !== last) {
            return bad(bat, "a damaged branch");
          }
          return target(b.target, ch, bat + ".target", "goto") && target(b.returns_to, ch, bat + ".returns_to", "the return") &&
            orNull(b.condition, function (e) { return expr(e, ch, bat + ".condition", 0); });
        }) &&
        n.text.every(function (p, i) { return part(p, ch, at + ".text[" + i + "]"); }) &&
        listOf(n.enter, function (e) { return effect(e, ch, at + ".enter"); }) &&
        listOf(n.choices, function (c, i) {
          var cat = at + ".choices[" + i + "]";
          if (!isObj(c) || !isText(c.text) || c.index !== i) return bad(cat, "a damaged choice");
          return (isText(c.target) || bad(cat + ".target", "a goto that is not text")) &&
            target(c.target, ch, cat + ".target", "goto") &&
            target(c.returns_to, ch, cat + ".returns_to", "the return") &&
            orNull(c.condition, function (e) { return expr(e, ch, cat + ".condition", 0); }) &&
            orNull(c.enabled, function (e) { return expr(e, ch, cat + ".enabled", 0); }) &&
            orNull(c.fallback, function (x) { return typeof x === "boolean"; }) &&
            listOf(c.effects, function (e) { return effect(e, ch, cat + ".effects"); }) &&
            orNull(c.count, function (e) { return effect(e, ch, cat + ".count"); }) &&
            orNull(c.say, function (p) { return part(p, ch, cat + ".say"); }) &&
            orNull(c.label, function (p) { return part(p, ch, cat + ".label"); }) &&
            orNull(c.key, isText) && orNull(c.condition_src, isText) && orNull(c.enabled_src, isText);
        });
    }
    if (!isObj(s)) return "the story is not an object";
    if (!isText(s.title) || !orNull(s.byline, isText) || !orNull(s.intro, isText) || !orNull(s.epilogue, isText)) {
      bad("story", "the title, byline, intro or epilogue is not text");
      return problem;
    }
    var storyFlags = s.flags === undefined ? [] : s.flags;
    if (!layout(storyFlags, "story.flags") || !Array.isArray(s.chapters) || !orNull(s.facts, isObj)) {
      return problem || "at story: the chapters, flags or facts are damaged";
    }
    var storyScope = { slots: Object.create(null) };
    storyFlags.forEach(function (f) { storyScope.slots[f.name] = f.slot; });
    var ids = Object.create(null);
    var ok = listOf(s.epilogue_parts, function (p, i) { return part(p, storyScope, "story.epilogue_parts[" + i + "]"); }) &&
      Object.keys(s.facts || {}).every(function (k) {
        var f = s.facts[k], at = "story.facts." + k;
        if (!isObj(f) || !isText(f.statement) || !isObj(f.date) || !isText(f.date.human)) return bad(at, "a damaged fact");
        return orNull(f.holds, function (e) { return expr(e, storyScope, at + ".holds", 0); });
      }) &&
      s.chapters.every(function (c, i) {
        var at = "story.chapters[" + i + "]";
        if (!isObj(c) || !isText(c.id) || !isText(c.title) || ids[c.id]) return bad(at, "a chapter without an id and title of its own");
        ids[c.id] = true;
        if (!layout(c.layout, at + ".layout")) return false;
        if (storyFlags.some(function (f, k) { return !c.layout[k] || c.layout[k].name !== f.name; })) {
          return bad(at + ".layout", "the layout does not begin with the story-wide flags, in their slots");
        }
        if (!isObj(c.nodes)) return bad(at + ".nodes", "it is not an object of nodes");
        if (!orNull(c.seen_bits, function (b) { return isObj(b) && Object.keys(b).every(function (k) { return isInt(b[k]) && b[k] > 0; }); })) {
          return bad(at + ".seen_bits", "it is damaged");
        }
        var ch = { id: c.id, layout: c.layout, nodes: c.nodes, slots: Object.create(null) };
        c.layout.forEach(function (f) { ch.slots[f.name] = f.slot; });
        if (!isText(c.start) || !own(c.nodes, c.start)) return bad(at + ".start", "the start '" + c.start + "' names no node");
        return Object.keys(c.nodes).every(function (id) { return node(c.nodes[id], id, ch, at + ".nodes." + id); });
      });
    return ok ? null : (problem || "at story: it is damaged");
  }

  /* A compiled story document -> the runnable story, as engine/link.py's from_json: the document
   * checked (validate: the envelope, then damage()), then every expression tree compiled to its
   * closure (link). */
  function load(doc) {
    validate(doc);
    return link(doc.story, doc);
  }

  function validate(doc) {
    if (!doc || typeof doc !== "object" || doc.format !== FORMAT) {
      throw new PlayError("this is not a compiled Chronicle story");
    }
    if (typeof doc.version !== "number" || doc.version > VERSION) {
      throw new PlayError("this story was exported by a newer Chronicle (format " + doc.version +
                          "); this player reads format " + VERSION);
    }
    var problem = damage(doc.story);
    if (problem) throw new PlayError("the compiled story is damaged: " + problem);
  }

  function link(s, doc) {
    var story = {
      title: s.title, byline: s.byline || null, intro: s.intro || null, epilogue: s.epilogue || null,
      lang: s.lang || "en", hash: s.content_hash, flags: s.flags || [], facts: s.facts || {},
      chapters: [], byId: Object.create(null), nStory: (s.flags || []).length, doc: doc
    };
    s.chapters.forEach(function (c, number) {
      var ch = {
        id: c.id, title: c.title, number: number + 1, start: c.start, layout: c.layout, nodes: Object.create(null),
        slots: Object.create(null), seenBit: Object.create(null), next: null, raw: c
      };
      c.layout.forEach(function (f) { ch.slots[f.name] = f.slot; });
      ch.caps = c.layout.filter(function (f) { return f.scope === "visits"; }).map(function (f) {
        return [f.slot, (c.counters || {})[f.name] || 0];
      });
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
          // a conditional `next:` or a call from flow: the first branch whose test holds is taken
          branches: (raw.branches || []).map(function (b) {
            return { target: b.target, returnsTo: b.returns_to || null, test: b.condition ? compileExpr(b.condition, ch) : null };
          }),
          enter: (raw.enter || []).map(function (eff) { return effectOf(eff, ch); })
        };
        (raw.text || []).forEach(function (p) { node.text.push(textPart(p, ch, countSlot)); });
        var rawChoices = raw.choices || [], gs = guards(rawChoices);
        rawChoices.forEach(function (c2, k) {
          var effects = (c2.effects || []).map(function (eff) { return effectOf(eff, ch); });
          if (c2.count) effects.push(effectOf(c2.count, ch));  // a choice's visit count, after its effects
          var shows = c2.fallback ? NEVER : c2.condition ? compileExpr(c2.condition, ch) : null;
          node.choices.push({
            index: c2.index, text: c2.text, target: c2.target, canon: !!c2.canon, key: c2.key || ("@" + c2.target),
            returnsTo: c2.returns_to || null,  // a call: where play comes back to when it returns
            resumes: !!c2.resumes,  // ...without entering it again (`calls: resume`)
            label: c2.label ? textPart(c2.label, ch, countSlot) : null,  // its text, when it has inline parts
            conditionSrc: c2.condition_src || null, enabledSrc: c2.enabled_src || null,
            greyable: !!c2.enabled, fallback: !!c2.fallback,
            // test: when it can be taken (model.guards); shows: when it is listed (its `if:`)
            test: gs[k] === c2.condition ? shows : gs[k] ? compileExpr(gs[k], ch) : null, shows: shows,
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
    var storyScope = { id: "(epilogue)", slots: Object.create(null), seenBit: Object.create(null), hasBit: function () { return false; } };
    story.flags.forEach(function (f) { storyScope.slots[f.name] = f.slot; });
    story.epilogueParts = (s.epilogue_parts || []).map(function (p) { return textPart(p, storyScope, undefined); });
    story.storyDefaults = story.flags.map(function (f) { return f.default; });
    return story;
  }

  /* Per choice of a node, the condition under which play can take it (null: always): its `if:`
   * and its `enabled:`; a fallback's also needs every other choice's to be false (model.guards). */
  function guards(cs) {
    function both(a, b) { return !a ? (b || null) : !b ? a : { $: "BoolOp", op: "and", operands: [a, b] }; }
    var own = cs.map(function (c) { return c.fallback ? null : both(c.condition || null, c.enabled || null); });
    var others = own.filter(function (g, k) { return !cs[k].fallback; });
    return cs.map(function (c, k) {
      if (!c.fallback) return own[k];
      var none = others.some(function (g) { return g === null; }) ? { $: "Lit", value: false }
        : !others.length ? { $: "Lit", value: true }
        : { $: "Not", operand: others.length === 1 ? others[0] : { $: "BoolOp", op: "or", operands: others } };
      return c.condition ? { $: "BoolOp", op: "and", operands: [c.condition, none] } : none;
    });
  }
  function NEVER() { return false; }

  // ---- playing -----------------------------------------------------------------------------

  // lead: paragraphs shown before the node's own text (a choice's `say:`, `next:` nodes passed through).
  // stack: where each unfinished `call:` returns to, innermost last (runtime.State.stack).
  function State(chapter, node, values, seen, path, lead, stack, luck) {
    this.chapter = chapter; this.node = node; this.values = values; this.seen = seen; this.path = path;
    this.lead = lead; this.stack = stack || NO_STACK;
    this.said = 0;  // how many lead paragraphs are the chosen choice's `say:` (runtime.State.said)
    this.resumed = false;  // back from a call that resumes here: the node was not entered again (runtime.State.resumed)
    this.luck = luck || 0;  // the seeded generator (runtime.State.luck)
  }
  var NO_LEAD = [], NO_STACK = [];
  var RESUME = "^";  // a place on the stack that comes back to a node's choices (model.RESUME)
  var FLOW_STEPS = 1000000;  // moves without a click before play gives up (runtime._FLOW_STEPS)
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
  function arrive(ch, id, values, seen, path, lead, stack, draws, luck) {
    var node = ch.nodes[id], after, said = lead.length;
    stack = stack || NO_STACK;
    values = applyAll(node.enter, values, seen, draws);
    seen = seenAt(ch, node, seen);
    var resumed = false, steps = 0;
    var looped = {};  // (fallbacks that lead round to where they were taken, nothing changed between)
    for (;;) {
      var fallback = null, here = null;
      if (node.next !== null) after = node.next;
      else if (node.branches.length) {
        var way = null;
        for (var k = 0; k < node.branches.length && way === null; k++) {
          if (node.branches[k].test === null || node.branches[k].test(values, seen)) way = node.branches[k];
        }
        after = way.target;
        if (way.returnsTo !== null) stack = stack.concat([way.returnsTo]);  // a call from flow: carry on there
      } else if (node.returns && stack.length) { after = stack[stack.length - 1]; stack = stack.slice(0, -1); }
      else if ((fallback = fallbackOf(node, values, seen)) !== null &&
               !own(looped, here = JSON.stringify([node.id, capped(ch, values), String(seen), stack], bigText))) {
        looped[here] = true;
        after = fallback.target;
      } else break;
      if (++steps > FLOW_STEPS) throw new PlayError("play went on from node '" + id + "' without a click " + FLOW_STEPS + " times");
      if (lead === NO_LEAD) lead = [];
      Array.prototype.push.apply(lead, textOf(node, values, seen, luck));
      if (fallback !== null) {  // taken by itself: its effects, its `say:`, a call's way back (runtime._take)
        values = applyAll(fallback.effects, values, seen, draws);
        if (fallback.say !== null) Array.prototype.push.apply(lead, paragraphs(render(fallback.say, values, seen, true, luck)));
        if (fallback.returnsTo !== null) stack = stack.concat([fallback.returnsTo + (fallback.resumes ? RESUME : "")]);
        after = fallback.target;
      }
      if (after.slice(-RESUME.length) === RESUME) {  // back where a choice called from: its choices, not its text
        node = ch.nodes[after.slice(0, -RESUME.length)];
        resumed = true;
        break;
      }
      node = ch.nodes[after];
      values = applyAll(node.enter, values, seen, draws);
      seen = seenAt(ch, node, seen);
    }
    var state = new State(ch.id, node.id, values, seen, path, lead, stack, luck);
    state.said = said;
    state.resumed = resumed;
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

  /* `seed` starts the generator; `fixed` (a list shared by the moves of a replay, taken from the
   * front) fixes draws as [flag name or null, value] pairs, as runtime.Draws does. */
  function start(story, chapterId, at, flags, seed, fixed) {
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
    var luck = (seed || 0) >>> 0;
    var first = arrive(ch, id, values.slice(), ch.noSeen, null, NO_LEAD, null, new Draws(luck, fixed), luck);
    first.entry = values;  // the flags its node was entered with, before its `do:`: what a save starts from
    return first;
  }

  /* The choices the reader can take, each with its text as the reader sees it here (runtime.available). */
  function available(story, state) {
    var node = nodeOf(story, state), out = [], v = state.values, s = state.seen, cs = node.choices;
    for (var i = 0; i < cs.length; i++) {
      if ((cs[i].test === null || cs[i].test(v, s)) && !cs[i].fallback) out.push(choiceHere(cs[i], v, s, state.luck));
    }
    return out;
  }
  /* The choices listed (numbered in this order): the available ones and the greyed-out ones (runtime.listed). */
  function listed(story, state) {
    var node = nodeOf(story, state), out = [], v = state.values, s = state.seen, cs = node.choices;
    for (var i = 0; i < cs.length; i++) {
      if ((cs[i].shows === null || cs[i].shows(v, s)) && !cs[i].fallback) out.push(choiceHere(cs[i], v, s));
    }
    return out;
  }
  function openHere(c, state) { return c.test === null || c.test(state.values, state.seen); }
  /* The node's fallback when play takes it: nothing else can be taken and its `if:` holds (runtime.fallback_of). */
  function fallbackOf(node, values, seen) {
    for (var i = 0; i < node.choices.length; i++) {
      var c = node.choices[i];
      if (c.fallback) return c.test === null || c.test(values, seen) ? c : null;
    }
    return null;
  }
  /* The values with each visit count held at the bound `check` saturates it at (runtime._capped). */
  function capped(ch, values) {
    if (!ch.caps.length) return values;
    var vals = values.slice();
    ch.caps.forEach(function (c) { vals[c[0]] = Math.min(vals[c[0]], c[1]); });
    return vals;
  }
  function bigText(k, v) { return typeof v === "bigint" ? String(v) : v; }
  /* The choice with its inline parts resolved for these values (itself when it has none). */
  function choiceHere(c, values, seen, luck) {
    if (c.label === null || c.label.render === null) return c;
    return Object.assign({}, c, { text: c.label.render(values, seen, luck || 0).replace(SPACE, " ").replace(TRIM, "") });
  }
  function choiceText(state, c) { return choiceHere(c, state.values, state.seen, state.luck).text; }

  /* What one move draws (runtime.Draws): the fixed values first, then the generator's. */
  function Draws(luck, fixed) { this.luck = luck; this.k = 0; this.fixed = fixed || []; }
  Draws.prototype.take = function (e) {
    var lo = e.draw[0], hi = e.draw[1], value;
    if (this.fixed.length) {
      var f = this.fixed.shift();
      if (f[0] !== null && f[0] !== undefined && f[0] !== e.target) {
        throw new PlayError("the next draw here is " + e.target + " (random(" + lo + ", " + hi + ")), not " + f[0]);
      }
      value = f[1];
      if (!(value >= lo && value <= hi)) throw new PlayError(e.target + "=" + value + " cannot be drawn here: random(" + lo + ", " + hi + ")");
    } else value = drawOf(this.luck, this.k, lo, hi);
    this.k += 1;
    return value;
  };

  function applyAll(effs, values, seen, draws) {
    if (!effs.length) return values;
    var vals = values.slice();
    for (var i = 0; i < effs.length; i++) {
      var e = effs[i], x = e.draw ? (draws || new Draws(0)).take(e) : e.fn(vals, seen);
      if (e.min !== null && x < e.min) x = e.min;
      else if (e.max !== null && x > e.max) x = e.max;
      vals[e.slot] = isBig(x) ? Number(x) : x;
    }
    return vals;
  }

  function choose(story, state, choice, fixed) {
    var ch = story.byId[state.chapter], node = ch.nodes[state.node];
    if (typeof choice === "number") {
      if (!(choice >= 0 && choice < node.choices.length)) throw new PlayError("node '" + node.id + "' has no choice " + (choice + 1));
      choice = node.choices[choice];
    }
    if (choice.fallback) {
      throw new PlayError("node '" + node.id + "' has no choice " + (choice.index + 1) + " to pick: its fallback is taken by itself");
    }
    if (choice.test !== null && !choice.test(state.values, state.seen)) {
      if (choice.greyable && (choice.shows === null || choice.shows(state.values, state.seen))) {
        throw new PlayError("'" + choice.text + "' is greyed out: it cannot be taken yet (it needs " + choice.enabledSrc + ")");
      }
      throw new PlayError("'" + choice.text + "' is not available here (it needs " + choice.conditionSrc + ")");
    }
    var draws = new Draws(state.luck, fixed), luck = following(state.luck);
    var values = applyAll(choice.effects, state.values, state.seen, draws), lead = NO_LEAD, stack = state.stack;
    if (choice.say !== null) lead = paragraphs(render(choice.say, values, state.seen, true, luck));
    if (choice.returnsTo !== null) stack = stack.concat([choice.returnsTo + (choice.resumes ? RESUME : "")]);  // a call: remember the way back
    return arrive(ch, choice.target, values, state.seen, push(state.path, choice.index), lead, stack, draws, luck);
  }

  function isEnding(story, state) { return nodeOf(story, state).ending !== null; }
  function isFinal(story, state) { return isEnding(story, state) && !story.byId[state.chapter].next; }

  function advance(story, state, fixed) {
    if (!isEnding(story, state)) throw new PlayError("only an ending leads into the next chapter");
    var nxt = story.byId[state.chapter].next;
    if (!nxt) throw new PlayError("this is the last chapter's ending; the story is over");
    return arrive(nxt, nxt.start, chapterValues(story, nxt, state.values), nxt.noSeen, push(state.path, CONTINUE), NO_LEAD,
                  null, new Draws(state.luck, fixed), following(state.luck));
  }

  function step(story, state, move, fixed) { return move === CONTINUE ? advance(story, state, fixed) : choose(story, state, move, fixed); }

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

  function render(p, values, seen, main, luck) {
    if (main) return p.render !== null ? p.render(values, seen, luck || 0) : p.text;
    return p.elseRender !== null ? p.elseRender(values, seen, luck || 0) : p.elseText;
  }
  function textOf(node, values, seen, luck) { return resolve(node.text, values, seen, luck); }
  function resolve(parts, values, seen, luck) {
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i], text;
      if (p.test === null || p.test(values, seen)) text = render(p, values, seen, true, luck);
      else if (p.elseText) text = render(p, values, seen, false, luck);
      else continue;
      Array.prototype.push.apply(out, paragraphs(text));
    }
    return out;
  }
  /* What arriving here shows, as paragraphs: the lead, then the node's prose resolved for this state. */
  function nodeText(story, state) {
    if (state.resumed) return state.lead.slice();  // back from a call that resumes here: its text was shown before
    return state.lead.concat(textOf(nodeOf(story, state), state.values, state.seen, state.luck));
  }

  /* The epilogue as paragraphs for the final state; [] when the story has none. */
  function epilogueText(story, state) {
    if (!story.epilogueParts.length && story.epilogue) return paragraphs(story.epilogue);  // an older export
    return resolve(story.epilogueParts, state.values.slice(0, story.nStory), 0, state.luck);
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
             path: pathArray(state.path), stack: state.stack.slice(), said: state.said, luck: state.luck };
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
      if (choice.fallback || (choice.test !== null && !choice.test(state.values, state.seen))) {
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
               flags: flagValues(story, first.entry ? { chapter: first.chapter, values: first.entry } : first),
               seed: first.luck },
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
    var seed = st.seed === undefined ? 0 : st.seed;  // a save from before chance has none
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xFFFFFFFF)) refuse("the save's seed is damaged");
    var changed = data.story_hash !== story.hash, first, states;
    try { first = start(story, st.chapter, st.node, st.flags, seed); } catch (e) {
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
    load: load, start: start, available: available, listed: listed, openHere: openHere, choiceText: choiceText,
    choose: choose, advance: advance,
    step: step, replay: replay,
    isEnding: isEnding, isFinal: isFinal, nodeOf: nodeOf, nodeText: nodeText, paragraphs: paragraphs,
    epilogueText: epilogueText, toldBroken: toldBroken,
    flagValues: flagValues, seenNodes: seenNodes, snapshot: snapshot, scene: scene, pathArray: pathArray,
    saveData: saveData, fromSave: fromSave, stepsOf: stepsOf
  };
  root.Chronicle = Runtime;
  if (typeof module === "object" && module.exports) module.exports = Runtime;
})(typeof window !== "undefined" ? window : globalThis);
