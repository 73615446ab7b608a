/* Barnraise's Stripe.js shim: the subset of Stripe.js (v3) the pages use, written to Stripe's
 * documented shapes, for the sandbox and for tests against a fake of Stripe's API. With
 * PAYMENT_PROVIDER=stripe in production the pages load Stripe.js itself from js.stripe.com.
 *
 *   var stripe = Stripe(publishableKey, {apiBase: "https://…/sandbox"});   // apiBase: shim only
 *   var elements = stripe.elements({clientSecret: "…"})                    // or {mode: "payment", amount, currency}
 *   var element = elements.create("payment"); element.mount("#where");
 *   elements.submit() -> {error?}; elements.update({amount});
 *   stripe.confirmPayment({elements, clientSecret?, confirmParams: {return_url}, redirect: "if_required"})
 *     -> {paymentIntent} or {error}; stripe.confirmSetup(…) -> {setupIntent} or {error};
 *   stripe.confirmPayment({clientSecret, confirmParams: {payment_method: "pm_…", return_url}, …}):
 *     a saved card of the intent's customer, without the card form;
 *   stripe.retrievePaymentIntent(clientSecret) -> {paymentIntent} or {error}.
 *
 * The card form (number, expiry, CVC, each with its label) is rendered by the element; its
 * inputs have no name, so a card number is never part of a form sent to Barnraise. The card
 * goes only to the provider's client-side endpoints, with the publishable key, as Stripe.js
 * sends it. 3-D Secure (next_action.redirect_to_url) opens in a modal frame in the same tab;
 * the shim asks for the intent until the bank's page has answered, then resolves.
 */
(function () {
  "use strict";

  var POLL_MS = 700;
  var seq = 0;

  function text(key, fallback) {
    var holder = document.getElementById("stripe-shim-text");
    return (holder && holder.getAttribute("data-" + key)) || fallback;
  }

  function intentId(secret) {
    return String(secret || "").split("_secret_")[0];
  }

  function form(params) {
    return Object.keys(params)
      .filter(function (k) { return params[k] !== undefined && params[k] !== null && params[k] !== ""; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); })
      .join("&");
  }

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (!publishableKey) throw new Error("Stripe(): a publishable key is required.");
    this._key = publishableKey;
    this._apiBase = String((options && options.apiBase) || "https://api.stripe.com").replace(/\/$/, "");
  }

  Stripe.prototype._request = function (method, path, params) {
    var url = this._apiBase + path;
    var init = { method: method, credentials: "omit" };
    params = Object.assign({ key: this._key }, params);
    if (method === "GET") url += "?" + form(params);
    else {
      init.body = form(params);
      init.headers = { "Content-Type": "application/x-www-form-urlencoded" };
    }
    return fetch(url, init).then(
      function (response) {
        return response.json().then(function (body) { return body; }, function () {
          return { error: { type: "api_error", message: text("unavailable", "The payment service is not answering. Try again.") } };
        });
      },
      function () {
        return { error: { type: "api_connection_error", message: text("unavailable", "The payment service is not answering. Try again.") } };
      }
    );
  };

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options || {});
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    return this._request("GET", "/v1/payment_intents/" + encodeURIComponent(intentId(clientSecret)), {
      client_secret: clientSecret,
    }).then(function (body) {
      return body.error ? { error: body.error } : { paymentIntent: body };
    });
  };

  Stripe.prototype.confirmPayment = function (options) {
    return this._confirm(options, "payment_intents", "paymentIntent", ["requires_capture", "succeeded", "processing"]);
  };

  Stripe.prototype.confirmSetup = function (options) {
    return this._confirm(options, "setup_intents", "setupIntent", ["succeeded", "processing"]);
  };

  Stripe.prototype._confirm = function (options, resource, field, done) {
    var self = this;
    options = options || {};
    var elements = options.elements;
    var secret = options.clientSecret || (elements && elements._clientSecret);
    var params = (options.confirmParams) || {};
    var saved = typeof params.payment_method === "string" ? params.payment_method : "";
    var element = elements && elements._element;
    if (!saved && !element) {
      return Promise.resolve({ error: { type: "validation_error", message: "confirm: pass the elements with a mounted payment element, or confirmParams.payment_method." } });
    }
    if (!secret) {
      return Promise.resolve({ error: { type: "validation_error", message: "confirm: a client secret is required." } });
    }
    var path = "/v1/" + resource + "/" + encodeURIComponent(intentId(secret));
    // With redirect "if_required" a card's 3-D Secure is answered in this page's modal, as
    // Stripe.js does: the bank's page is not sent back to return_url (it would load this site
    // inside the modal's frame), so return_url is left out.
    var body = { client_secret: secret, return_url: options.redirect === "if_required" ? undefined : params.return_url };
    if (saved) {
      body.payment_method = saved;  // a card saved for the intent's customer: no card form
      element = null;
    } else {
      var invalid = element._validate();
      if (invalid) return Promise.resolve({ error: invalid });
      var card = element._card();
      Object.assign(body, {
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": card.number,
        "payment_method_data[card][exp_month]": card.expMonth,
        "payment_method_data[card][exp_year]": card.expYear,
        "payment_method_data[card][cvc]": card.cvc,
      });
    }
    if (params.setup_future_usage) body.setup_future_usage = params.setup_future_usage;
    if (element) element._busy(true);
    return self._request("POST", path + "/confirm", body).then(function (answer) {
      if (answer.error) return { error: answer.error };
      if (answer.status === "requires_action" && answer.next_action && answer.next_action.redirect_to_url) {
        return self._challenge(answer, path, secret, field, done);
      }
      return self._outcome(answer, field, done);
    }).then(function (result) {
      if (element) element._busy(false);
      var settled = result[field];
      if (settled && options.redirect !== "if_required" && params.return_url) {
        var sep = params.return_url.indexOf("?") < 0 ? "?" : "&";
        var name = resource === "setup_intents" ? "setup_intent" : "payment_intent";
        window.location.assign(params.return_url + sep + form({
          [name]: settled.id, [name + "_client_secret"]: secret, redirect_status: "succeeded",
        }));
      }
      return result;
    });
  };

  Stripe.prototype._outcome = function (intent, field, done) {
    if (done.indexOf(intent.status) >= 0) {
      var result = {};
      result[field] = intent;
      return result;
    }
    var error = intent.last_payment_error || intent.last_setup_error || {
      type: "card_error", code: "payment_intent_authentication_failure",
      message: text("failed", "Your bank could not confirm this payment. Try again, or use another card."),
    };
    var copy = Object.assign({}, error);
    copy[field === "setupIntent" ? "setup_intent" : "payment_intent"] = intent;
    return { error: copy };
  };

  /* 3-D Secure: the bank's page in a modal frame in this tab; ask for the intent until it moves. */
  Stripe.prototype._challenge = function (intent, path, secret, field, done) {
    var self = this;
    var dialog = document.createElement("dialog");
    dialog.className = "stripe-shim-challenge";
    dialog.setAttribute("aria-label", text("challenge", "Confirm with your bank"));
    var heading = document.createElement("p");
    heading.className = "stripe-shim-challenge-title";
    heading.textContent = text("challenge", "Confirm with your bank");
    var frame = document.createElement("iframe");
    frame.title = text("challenge", "Confirm with your bank");
    frame.src = intent.next_action.redirect_to_url.url;
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary outline";
    cancel.textContent = text("cancel", "Cancel");
    var article = document.createElement("article");
    article.appendChild(heading);
    article.appendChild(frame);
    article.appendChild(cancel);
    dialog.appendChild(article);
    document.body.appendChild(dialog);
    dialog.showModal();
    return new Promise(function (resolve) {
      var finished = false;
      function finish(result) {
        if (finished) return;
        finished = true;
        dialog.close();
        dialog.remove();
        resolve(result);
      }
      cancel.addEventListener("click", function () {
        finish(self._outcome(Object.assign({}, intent, { status: "requires_payment_method", next_action: null }), field, done));
      });
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); cancel.click(); });
      (function poll() {
        if (finished) return;
        self._request("GET", path, { client_secret: secret }).then(function (now) {
          if (finished) return;
          if (now.error) return finish({ error: now.error });
          if (now.status === "requires_action") return window.setTimeout(poll, POLL_MS);
          finish(self._outcome(now, field, done));
        });
      })();
    });
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._clientSecret = options.clientSecret || "";
    this._options = options;
    this._element = null;
  }

  Elements.prototype.create = function (type) {
    if (type !== "payment") throw new Error("This Stripe.js shim has the payment element only.");
    this._element = new PaymentElement();
    return this._element;
  };

  Elements.prototype.getElement = function (type) {
    return type === "payment" ? this._element : null;
  };

  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  Elements.prototype.submit = function () {
    var invalid = this._element ? this._element._validate() : { type: "validation_error", message: "No payment element." };
    return Promise.resolve(invalid ? { error: invalid } : {});
  };

  function PaymentElement() {
    this._id = "stripe-shim-" + (++seq);
    this._handlers = {};
    this._root = null;
  }

  function field(id, label, attrs) {
    var wrap = document.createElement("div");
    wrap.className = "stripe-shim-field";
    var lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = label;
    var input = document.createElement("input");
    input.id = id;
    input.type = "text";
    Object.keys(attrs).forEach(function (k) { input.setAttribute(k, attrs[k]); });
    wrap.appendChild(lab);
    wrap.appendChild(input);
    return { wrap: wrap, input: input };
  }

  PaymentElement.prototype.mount = function (target) {
    var host = typeof target === "string" ? document.querySelector(target) : target;
    if (!host) throw new Error("mount(): no element matches " + target);
    var root = document.createElement("div");
    root.className = "stripe-shim-payment";
    var number = field(this._id + "-number", text("number", "Card number"), {
      inputmode: "numeric", autocomplete: "cc-number", placeholder: "1234 1234 1234 1234", maxlength: "23",
    });
    var row = document.createElement("div");
    row.className = "stripe-shim-row";
    var expiry = field(this._id + "-expiry", text("expiry", "Expiry (MM / YY)"), {
      inputmode: "numeric", autocomplete: "cc-exp", placeholder: "MM / YY", maxlength: "7",
    });
    var cvc = field(this._id + "-cvc", text("cvc", "Security code (CVC)"), {
      inputmode: "numeric", autocomplete: "cc-csc", placeholder: "CVC", maxlength: "4",
    });
    var error = document.createElement("small");
    error.className = "field-error stripe-shim-error";
    error.id = this._id + "-error";
    error.hidden = true;
    [number, expiry, cvc].forEach(function (f) { f.input.setAttribute("aria-describedby", error.id); });
    row.appendChild(expiry.wrap);
    row.appendChild(cvc.wrap);
    root.appendChild(number.wrap);
    root.appendChild(row);
    root.appendChild(error);
    host.appendChild(root);
    this._root = root;
    this._inputs = { number: number.input, expiry: expiry.input, cvc: cvc.input };
    this._error = error;
    var self = this;
    expiry.input.addEventListener("input", function () {
      var digits = expiry.input.value.replace(/\D/g, "").slice(0, 4);
      expiry.input.value = digits.length > 2 ? digits.slice(0, 2) + " / " + digits.slice(2) : digits;
    });
    Object.keys(this._inputs).forEach(function (k) {
      self._inputs[k].addEventListener("input", function () {
        self._showError("");
        self._emit("change", { elementType: "payment", empty: self._empty(), complete: !self._problem() });
      });
    });
    this._emit("ready", { elementType: "payment" });
    return this;
  };

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (h) { h(payload); });
  };

  PaymentElement.prototype.focus = function () {
    if (this._inputs) this._inputs.number.focus();
  };

  PaymentElement.prototype.clear = function () {
    var inputs = this._inputs;
    if (inputs) Object.keys(inputs).forEach(function (k) { inputs[k].value = ""; });
  };

  PaymentElement.prototype.unmount = PaymentElement.prototype.destroy = function () {
    if (this._root) this._root.remove();
    this._root = null;
  };

  PaymentElement.prototype._empty = function () {
    var inputs = this._inputs;
    return !inputs || Object.keys(inputs).every(function (k) { return !inputs[k].value.trim(); });
  };

  PaymentElement.prototype._card = function () {
    var expiry = this._inputs.expiry.value.replace(/\D/g, "");
    return {
      number: this._inputs.number.value.replace(/[\s-]/g, ""),
      expMonth: expiry.slice(0, 2),
      expYear: expiry.length > 2 ? "20" + expiry.slice(2, 4) : "",
      cvc: this._inputs.cvc.value.trim(),
    };
  };

  function luhn(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = +digits[digits.length - 1 - i];
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return digits.length >= 12 && sum % 10 === 0;
  }

  /* What is wrong with the card as typed, as Stripe's validation errors: [input, error] or null. */
  PaymentElement.prototype._problem = function () {
    if (!this._inputs) return [null, { type: "validation_error", code: "incomplete", message: "No card form." }];
    var card = this._card();
    if (!/^\d{12,19}$/.test(card.number) || !luhn(card.number)) {
      return ["number", { type: "validation_error", code: "incomplete_number", message: text("bad-number", "Your card number is incomplete or incorrect.") }];
    }
    var month = +card.expMonth, year = +card.expYear, now = new Date();
    if (!(month >= 1 && month <= 12) || !year || year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
      return ["expiry", { type: "validation_error", code: "invalid_expiry", message: text("bad-expiry", "Your card's expiry date is incomplete or in the past.") }];
    }
    if (!/^\d{3,4}$/.test(card.cvc)) {
      return ["cvc", { type: "validation_error", code: "incomplete_cvc", message: text("bad-cvc", "Your card's security code is incomplete.") }];
    }
    return null;
  };

  PaymentElement.prototype._validate = function () {
    var problem = this._problem();
    if (!problem) return null;
    this._showError(problem[1].message, problem[0]);
    return problem[1];
  };

  PaymentElement.prototype._showError = function (message, where) {
    if (!this._error) return;
    this._error.textContent = message;
    this._error.hidden = !message;
    var inputs = this._inputs;
    Object.keys(inputs).forEach(function (k) {
      if (message && k === where) inputs[k].setAttribute("aria-invalid", "true");
      else inputs[k].removeAttribute("aria-invalid");
    });
    if (message && where) inputs[where].focus();
  };

  PaymentElement.prototype._busy = function (on) {
    var inputs = this._inputs;
    if (inputs) Object.keys(inputs).forEach(function (k) { inputs[k].readOnly = on; });
  };

  window.Stripe = Stripe;
})();
