/* Chronicle in the browser, part two: the reader's page (index.html), playing the story that
 * story.js assigns to `window.CHRONICLE_STORY` with the runtime of runtime.js (`window.Chronicle`),
 * which is loaded before it. It keeps the player's saves, autosave and endings found in
 * localStorage, as the terminal player keeps them in files.
 *
 * Story text is only ever put on the page with textContent, never as HTML.
 */
(function (root) {
  "use strict";

  if (typeof document === "undefined") return;
  var C = root.Chronicle;
  var CONTINUE = C.CONTINUE, PlayError = C.PlayError, load = C.load, start = C.start, listed = C.listed,
      openHere = C.openHere,
      choiceText = C.choiceText, choose = C.choose, advance = C.advance, isEnding = C.isEnding, isFinal = C.isFinal,
      nodeOf = C.nodeOf, nodeText = C.nodeText, paragraphs = C.paragraphs, epilogueText = C.epilogueText,
      toldBroken = C.toldBroken, scene = C.scene, saveData = C.saveData, fromSave = C.fromSave;

  var KIND_WORDS = { canon: "the documented history", personal: "a personal fate; history holds",
                     divergent: "history diverges", good: "a good ending", bad: "a bad ending", neutral: "an ending" };
  // The save-name rule of engine/player/saves.py (is_slot_name), in the same words (SAVE_NAME_RULE).
  /* A new game's seed for the generator (random draws, shuffles), as the terminal's new game gets one. */
  function freshSeed() {
    if (root.crypto && root.crypto.getRandomValues) return root.crypto.getRandomValues(new Uint32Array(1))[0];
    return Math.floor(Math.random() * 4294967296);
  }
  var SAVE_NAME = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_-]{0,39}$/u;
  var SAVE_NAME_RULE = "a save name is up to 40 letters (of any alphabet), digits, - or _, beginning with a letter or a digit";
  var OLD_AUTOSAVES = 3;  // earlier games kept, as autosave-1 to autosave-3 (as the terminal keeps them)
  var ENDINGS = "endings";  // the record of endings found, as the terminal keeps it (endings.json)

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;  // text, never HTML
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function whereOf(node) { return [node.place, node.date].filter(Boolean).join(", "); }

  function isRecord(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }
  function isText(x) { return typeof x === "string"; }
  /* Why `data` cannot be a save this page lists and loads, or null (runtime.fromSave judges the rest). */
  function saveProblem(data) {
    if (!isRecord(data)) return "it does not hold a save";
    if (data.format !== "chronicle-save") return "it is not a Chronicle save";
    if (data.saved !== undefined && !isText(data.saved)) return "its time of saving is damaged";
    var sm = data.summary;
    if (sm !== undefined && !(isRecord(sm) && ["chapter", "place", "date"].every(function (k) {
      return sm[k] === undefined || sm[k] === null || isText(sm[k]);
    }))) return "its summary is damaged";
    return null;
  }
  function savedAt(slot) { return slot.data && isText(slot.data.saved) ? slot.data.saved : ""; }

  function slug(title) { return (title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60)) || "story"; }

  function Reader(story) {
    this.story = story;
    this.states = [];
    this.prefix = "chronicle:" + slug(story.title) + ":";
  }

  Reader.prototype = {
    // ---- storage: one localStorage key per slot, JSON like the terminal's save files ------------
    storage: function () { try { return window.localStorage; } catch (e) { return null; } },
    /* A slot's data, validated as the terminal validates a save file it lists: null when there
     * is none, { damaged: true, why } when it cannot be a save (hand-edited, another version,
     * another program's key), so one odd entry never stops the others from loading. */
    readSlot: function (name) {
      var ls = this.storage(), raw = null, data;
      try { raw = ls && ls.getItem(this.prefix + name); } catch (e) { raw = null; }
      if (!raw) return null;
      try { data = JSON.parse(raw); } catch (e) { return { damaged: true, why: "it is not JSON" }; }
      var why = name === ENDINGS ? (isRecord(data) ? null : "it is not a record of endings") : saveProblem(data);
      return why ? { damaged: true, why: why } : data;
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
        .sort(function (a, b) { return savedAt(b).localeCompare(savedAt(a)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0); });
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
      return (d && !d.damaged && d.format === "chronicle-endings" && isRecord(d.found)) ? d.found : {};
    },
    writeRecord: function (parts) {
      var d = this.readSlot(ENDINGS);
      var rec = { format: "chronicle-endings", version: 1, found: this.endingsFound(),
                  reached: (d && Array.isArray(d.reached)) ? d.reached.filter(function (x) { return typeof x === "string"; }) : [] };
      Object.keys(parts).forEach(function (k) { rec[k] = parts[k]; });
      this.writeSlot(ENDINGS, rec);
    },
    /* The chapters this player has reached in any playthrough: the first, this game's, those
       recorded on arrival and those where an ending was found (their hints are for them only). */
    reached: function () {
      var story = this.story, out = {}, d = this.readSlot(ENDINGS);
      if (story.chapters.length) out[story.chapters[0].id] = true;
      this.states.forEach(function (s) { out[s.chapter] = true; });
      if (d && Array.isArray(d.reached)) d.reached.forEach(function (c) { if (typeof c === "string") out[c] = true; });
      Object.keys(this.endingsFound()).forEach(function (k) { out[k.split("/")[0]] = true; });
      return out;
    },
    recordArrival: function () {
      var ch = this.current().chapter, d = this.readSlot(ENDINGS), list = (d && Array.isArray(d.reached)) ? d.reached : [];
      if (list.indexOf(ch) < 0) this.writeRecord({ reached: list.concat([ch]) });
    },
    recordEnding: function () {
      var st = this.current(), node = nodeOf(this.story, st);
      if (!node.ending) return;
      var found = this.endingsFound(), key = st.chapter + "/" + node.id;
      if (found[key]) return;
      found[key] = { chapter: st.chapter, node: node.id, title: node.ending.title, kind: node.ending.kind || null,
                     found: new Date().toISOString() };
      this.writeRecord({ found: found });
      this.notice("You found this ending for the first time.");
    },
    showEndings: function () {
      var story = this.story, found = this.endingsFound(), reached = this.reached(), body = $("endings-body");
      body.textContent = "";
      var got = 0, total = 0;
      story.chapters.forEach(function (ch) {
        var ids = Object.keys(ch.nodes).filter(function (id) { return ch.nodes[id].ending; });
        var mine = ids.filter(function (id) { return found[ch.id + "/" + id]; });
        got += mine.length;
        total += ids.length;
        var head = "Chapter " + ch.number + ": " + ch.title;
        if (!reached[ch.id]) {  // a chapter not reached gives nothing away
          body.appendChild(el("h3", {}, head));
          body.appendChild(el("p", { "class": "dim unreached" }, "Not reached yet: " + ids.length + " endings to find."));
          return;
        }
        body.appendChild(el("h3", {}, head + " \u2014 " + mine.length + " of " + ids.length + " found"));
        var ul = el("ul", { "class": "register" });
        mine.forEach(function (id) {
          var e = ch.nodes[id].ending, li = el("li");
          li.appendChild(el("strong", {}, e.title));
          if (KIND_WORDS[e.kind]) li.appendChild(document.createTextNode(" \u2014 " + KIND_WORDS[e.kind]));
          (e.diverges || []).forEach(function (fid) {
            var f = story.facts[fid];
            if (f) li.appendChild(el("span", { "class": "broke" }, toldBroken(f) + " (" + f.date.human + ")"));
          });
          ul.appendChild(li);
        });
        if (mine.length) body.appendChild(ul);
        var left = ids.filter(function (id) { return !found[ch.id + "/" + id]; });
        if (!left.length) { body.appendChild(el("p", { "class": "dim" }, "All found.")); return; }
        var hints = left.map(function (id) { return ch.nodes[id].ending.hint; }).filter(Boolean);
        body.appendChild(el("p", { "class": "dim left" }, left.length + (left.length === 1 ? " ending" : " endings") +
                                                           " left" + (hints.length ? ": hints for them" : ".")));
        if (hints.length) {
          var hl = el("ul", { "class": "register hints" });
          hints.forEach(function (h) { hl.appendChild(el("li", { "class": "hint" }, h)); });
          body.appendChild(hl);
        }
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
    newGame: function () { this.begin([start(this.story, null, null, null, freshSeed())]); this.autosave(); },
    /* New game over a game in progress asks first, and keeps the earlier game (autosave-1..3, the
       oldest dropped with a word), as the terminal does. */
    askNewGame: function () {
      var self = this, auto = this.readSlot("autosave");
      var progress = auto && !auto.damaged && Array.isArray(auto.path) && auto.path.length;
      if (!progress) { this.newGame(); return; }
      var sm = (auto.summary && typeof auto.summary === "object") ? auto.summary : {};
      var where = [sm.chapter, sm.place, sm.date].filter(function (x) { return typeof x === "string" && x; }).join(", ");
      var oldest = this.readSlot("autosave-" + OLD_AUTOSAVES);
      var words = "This game" + (where ? " (" + where + ")" : "") + " will be kept as autosave-1: Load brings it back.";
      if (oldest) {
        var os = (oldest.summary && typeof oldest.summary === "object") ? oldest.summary : {};
        var ow = [os.chapter, os.place, os.date].filter(function (x) { return typeof x === "string" && x; }).join(", ");
        words += " Only " + OLD_AUTOSAVES + " earlier games are kept, so the oldest" + (ow ? " (" + ow + ")" : "") +
                 " will no longer be kept; to keep it, load it and save it under a name first.";
      }
      $("confirm-text").textContent = words;
      $("confirm-yes").onclick = function () {
        closeDialog($("confirm"));
        self.keepEarlier();
        self.newGame();
        self.notice("Your earlier game is kept as autosave-1.");
      };
      openDialog($("confirm"));
      $("confirm-no").focus();
    },
    keepEarlier: function () {
      for (var i = OLD_AUTOSAVES; i >= 1; i--) {
        var from = i > 1 ? "autosave-" + (i - 1) : "autosave", data = this.readSlot(from);
        if (data && !data.damaged) this.writeSlot("autosave-" + i, data);
      }
    },
    /* Start anywhere (authors and tests): a chapter, a node, flag values. */
    startAt: function (chapter, node, flags) { this.begin([start(this.story, chapter, node, flags)]); },
    resume: function (name) {
      var data = this.readSlot(name);
      if (!data) { this.notice("There is no save called " + name + "."); return false; }
      try {
        if (data.damaged) throw new PlayError("the save is damaged (" + data.why + ")");
        var got = fromSave(this.story, data);
        this.begin(got.states, got.note);
        this.showChoices();
        return true;
      } catch (e) {
        // whatever is wrong with it, a save that cannot be read is reported, never thrown
        var why = e instanceof PlayError ? e.message : "the save is damaged";
        this.notice("The save " + name + " cannot be used: " + why + ".", true);
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
      var offered = listed(this.story, st);
      if (!(number >= 1 && number <= offered.length)) return;
      var c = offered[number - 1];
      if (!openHere(c, st)) return;  // greyed out: its button is disabled
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
      this.recordArrival();
      this.autosave();
    },
    undo: function () {
      if (this.states.length < 2) { this.notice("There is nothing to undo."); return; }
      this.states.pop();
      this.renderAll();
      this.autosave();
      this.notice("You stepped back one choice.");
      this.showChoices();  // (after the notice, which takes its own room above the choices)
    },

    // ---- drawing: the current chapter as a column of passages ----------------------------------------
    chapterStart: function () {
      var i = this.states.length - 1;
      while (i > 0 && this.states[i].path && this.states[i].path.move !== CONTINUE) i--;
      return i;
    },
    /* After Undo or Continue the page is drawn again from the chapter's start: bring the choices
       into view (the passage they answer above them), with the first one focused. */
    showChoices: function () {
      var controls = document.querySelector(".controls"), first = $("choices").querySelector("button:not([disabled])");
      if (controls) {
        var r = controls.getBoundingClientRect(), bar = $("bar").getBoundingClientRect().height || 0;
        // the whole list when it fits under the bar; else its start, with a little of the story above
        var y = r.height <= innerHeight - bar ? r.bottom - innerHeight : r.top - bar - innerHeight * 0.15;
        window.scrollTo(0, Math.max(0, window.scrollY + y));
      }
      if (first) first.focus({ preventScroll: true });
    },
    renderAll: function () {
      var log = $("log");
      log.textContent = "";
      var from = this.chapterStart();
      for (var i = from; i < this.states.length; i++) {
        if (i > from) {
          var prev = this.states[i - 1], move = this.states[i].path.move;
          var c = nodeOf(this.story, prev).choices[move];
          var n = listed(this.story, prev).map(function (x) { return x.index; }).indexOf(c.index) + 1;
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
      (st.resumed ? [] : node.records).forEach(function (fid) {  // a fact happening here says so (not again on resuming)
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
      this.clearNotice();
      // the top bar says where the reader is, as the terminal's status line does
      var ch = story.byId[st.chapter], sc = scene(story, this.states.slice(this.chapterStart()));
      $("bar-chapter").textContent = "Chapter " + ch.number + ": " + ch.title;
      var where = [sc.place, sc.date].filter(Boolean).join(" \u00b7 ");
      $("bar-where").textContent = where ? "\u00b7 " + where : "";
      var items = [];
      if (isEnding(story, st)) {
        if (isFinal(story, st)) {
          items.push(["Play again from the beginning", function () { self.askNewGame(); }]);
          items.push(["Back to the title screen", function () { self.showTitle(); }]);
        } else {
          var nxt = story.byId[st.chapter].next;
          items.push(["Go on to Chapter " + nxt.number + ": " + nxt.title, function () { self.goOn(); }]);
        }
      } else {
        listed(story, st).forEach(function (c, i) {
          items.push([c.text, function () { self.pick(i + 1); }, !openHere(c, st)]);  // [2]: greyed out
        });
      }
      $("choices-label").textContent = isEnding(story, st) ? (isFinal(story, st) ? "The story is over" : "This chapter is over")
        : items.some(function (it) { return !it[2]; }) ? "What do you do?"
        : nodeOf(story, st).returns
          ? "This scene returns, but play came here with no call to return to, so the story stops here. Undo to go back."
          : "No choice is available here: the story is stuck. Undo to go back.";
      items.forEach(function (it, i) {
        var li = el("li"), b = el("button", { type: "button", "class": "choice", "data-number": String(i + 1) });
        b.appendChild(el("span", { "class": "num", "aria-hidden": "true" }, String(i + 1)));
        b.appendChild(el("span", { "class": "label" }, it[0]));
        if (it[2]) {  // listed but greyed out (`enabled:` false): shown, and cannot be picked
          b.disabled = true;
          b.className += " greyed";
          b.appendChild(el("span", { "class": "visually-hidden" }, " (greyed out: cannot be chosen here)"));
        }
        b.addEventListener("click", it[1]);
        li.appendChild(b);
        list.appendChild(li);
      });
      $("undo").disabled = this.states.length < 2;
    },
    /* A notice takes its own place in the page, never over the story or a control: above the
       choices while playing, under the buttons on the title screen. It stays until the next move
       (nothing jumps under the reader's finger when it goes). */
    notice: function (text, warn) {
      var n = $("notice"), playing = !$("play").hidden;
      var before = playing ? $("choices-label") : null, host = playing ? before.parentNode : $("title-screen");
      if (n.parentNode !== host || (before && n.nextSibling !== before)) host.insertBefore(n, before);
      n.textContent = text;
      n.className = warn ? "notice warn" : "notice";
      n.hidden = false;
    },
    clearNotice: function () { $("notice").hidden = true; },

    // ---- the journal --------------------------------------------------------------------------------
    showJournal: function () {
      var story = this.story, states = this.states, body = $("journal-body");
      body.textContent = "";
      var shown = dossier(story, states);
      var anyShown = story.byId[this.current().chapter].layout.some(function (f) { return f.show; });
      if (anyShown) body.appendChild(el("h3", {}, "Dossier"));
      if (anyShown && !shown.length) body.appendChild(el("p", { "class": "dim" }, "Nothing yet: what you learn of the people and the stakes is kept here."));
      if (shown.length) {
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
          if (row.since) dd.appendChild(el("span", { "class": "dim since" }, " (since " + row.since + ")"));
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
        (s.resumed ? [] : node.records).forEach(function (fid) {  // (a call that resumes here: not again)
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
        b.appendChild(el("span", { "class": "slot-desc" }, d.damaged ? "damaged: " + d.why : desc));
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
      var name = raw.trim().normalize("NFC").toLowerCase();
      if (name.slice(-5) === ".json") name = name.slice(0, -5);
      if (!SAVE_NAME.test(name)) return "'" + raw.trim().slice(0, 40) + "' cannot be a save name: " + SAVE_NAME_RULE;
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
  /* What the player knows (engine/player/session.py, Session.known): each shown flag that play
     has set (changed in this chapter, or carried in different from its default), with the date
     of the scene where it last changed. */
  function dossier(story, states) {
    var out = [], state = states[states.length - 1], first = states.length - 1;
    while (first > 0 && states[first - 1].chapter === state.chapter) first--;
    story.byId[state.chapter].layout.forEach(function (f) {
      if (!f.show) return;
      var v = state.values[f.slot], bar = f.show.as_ === "bar" && f.type === "int" && f.min != null && f.max != null;
      var last = null;
      for (var i = states.length - 1; i > first && last === null; i--) {
        if (states[i - 1].values[f.slot] !== states[i].values[f.slot]) last = i;
      }
      if (last === null && v === f.default) return;
      out.push({ label: f.show.label, value: v, text: shownValue(f, v), bar: bar ? [f.min, f.max] : null,
                 since: last === null ? null : scene(story, states.slice(0, last + 1)).date });
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
    var reader = new Reader(story);
    root.chronicleReader = reader;
    $("new-game").addEventListener("click", function () { reader.askNewGame(); });
    $("confirm-no").addEventListener("click", function () { closeDialog($("confirm")); });
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
