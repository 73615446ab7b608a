/* The payment element, once for every page that takes money (a booking, a purchase, a paid
 * offer). A `[data-payment-element]` box inside a form is configured by its data attributes:
 *
 *   data-publishable-key, data-api-base (the shim only), data-currency, data-amount (a guess
 *   until the server prices it), data-checkout-url (answers {id, client_secret, amount}).
 *
 * On "Book", "Buy" or "Pay", the card is checked in the page, the server prices a checkout
 * from the form (never from the page), Stripe.js (or Barnraise's shim of it) confirms it with
 * the card, 3-D Secure in this tab, and the form is sent with the checkout's id as
 * `payment_method`: the deal's paying step opens the deal once the provider holds the money.
 * A refusal (a declined card, a failed 3-D Secure) is shown next to the card fields, which are
 * scrolled into view and focused. A form the server refuses to price (dates missing) is sent
 * as it is, so the server shows its errors beside its fields.
 *
 * A member with saved cards chooses one in the element's "Pay with" list (the card form is
 * hidden then); the checkout is confirmed with that card (`confirmParams.payment_method`).
 * With `data-setup-url` instead of `data-checkout-url` the element saves a card (setupCard).
 *
 * A booking that starts beyond the payment provider's authorization window (the preview then
 * says "Your card will be charged on …", `[data-pay-ahead]`) holds nothing now: with
 * `data-ahead-setup-url` the element saves a new card (a SetupIntent, `confirmSetup`) or takes
 * the chosen saved one, and sends the form with that card's id (payAhead).
 *
 * The sticky bar (`[data-pay-bar]`, shown on phones) follows the price the preview shows.
 */
(function () {
  "use strict";

  function busy(form, on) {
    form.querySelectorAll("button[type=submit], [data-pay-bar] button").forEach(function (b) { b.disabled = on; });
    if (on) form.setAttribute("aria-busy", "true");
    else form.removeAttribute("aria-busy");
    document.querySelectorAll("[data-pay-bar] button").forEach(function (b) { b.disabled = on; });
  }

  function showError(box, element, message) {
    var slot = box.querySelector("[data-payment-error]");
    slot.textContent = message;
    slot.hidden = !message;
    if (!message) return;
    slot.scrollIntoView({ block: "center" });
    element.focus();
    slot.scrollIntoView({ block: "center" });
  }

  /* The saved card chosen in the element's "Pay with" list, or "" for a new card. */
  function savedChoice(box) {
    var chosen = box.querySelector("[data-saved-cards] input[type=radio]:checked");
    return chosen ? chosen.value : "";
  }

  function followChoice(box) {
    var mount = box.querySelector("[data-payment-mount]");
    mount.hidden = !!savedChoice(box);
  }

  /* A new card saved through a SetupIntent: the element's fields are checked, the page's `url`
   * starts the setup at the provider, and Stripe.js (or the shim) confirms it, 3-D Secure in this
   * tab. `beforeConfirm` runs once the setup is started. Resolves with the confirmed intent. */
  function saveCard(stripe, elements, form, url, beforeConfirm) {
    return elements.submit().then(function (checked) {
      if (checked.error) throw checked.error;
      return fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) { throw body.error || {}; });
      }
      return response.json();
    }).then(function (started) {
      if (beforeConfirm) beforeConfirm();
      return stripe.confirmSetup({
        elements: elements,
        clientSecret: started.client_secret,
        confirmParams: { return_url: window.location.href },
        redirect: "if_required",
      });
    }).then(function (result) {
      if (result.error) throw result.error;
      return result.setupIntent;
    });
  }

  function setup(box) {
    if (box.dataset.setupUrl) return setupCard(box);
    var form = box.closest("form");
    var hidden = form.querySelector("input[name=payment_method]");
    var options = box.dataset.apiBase ? { apiBase: box.dataset.apiBase } : undefined;
    var stripe = window.Stripe(box.dataset.publishableKey, options);
    var elements = stripe.elements({
      mode: "payment",
      amount: parseInt(box.dataset.amount, 10) || 100,
      currency: (box.dataset.currency || "usd").toLowerCase(),
      captureMethod: "manual",
    });
    var element = elements.create("payment");
    element.mount(box.querySelector("[data-payment-mount]"));
    var passThrough = false;
    box.querySelectorAll("[data-saved-cards] input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function () { followChoice(box); showError(box, element, ""); });
    });
    followChoice(box);

    var mode = "payment";

    /* Beyond the authorization window (the preview says when the card is charged): nothing is
     * held now. A saved card is sent as it is; a new one is saved first (a SetupIntent for
     * off-session use, 3-D Secure in this tab), and the form is sent with the saved card's id,
     * for the booking to charge it nearer the date (booking v3). */
    function payAhead(saved, submitter) {
      if (saved) {
        hidden.value = saved;
        send(submitter);
        return;
      }
      saveCard(stripe, elements, form, box.dataset.aheadSetupUrl, function () {
        if (mode !== "setup") { mode = "setup"; elements.update({ mode: "setup" }); }
      }).then(function (setupIntent) {
        hidden.value = setupIntent.payment_method;
        send(submitter);
      }).catch(function (error) {
        busy(form, false);
        showError(box, element, (error && error.message) || box.dataset.failed);
      });
    }

    function send(submitter) {
      passThrough = true;
      if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      else form.submit();
    }

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (passThrough || (submitter && submitter.value === "preview")) return;
      event.preventDefault();
      showError(box, element, "");
      busy(form, true);
      var saved = savedChoice(box);
      if (box.dataset.aheadSetupUrl && form.querySelector("#deal-preview [data-pay-ahead]")) {
        payAhead(saved, submitter);
        return;
      }
      if (mode !== "payment") { mode = "payment"; elements.update({ mode: "payment" }); }
      (saved ? Promise.resolve({}) : elements.submit()).then(function (checked) {
        if (checked.error) throw checked.error;
        var data = new FormData(form);
        data.delete("saved_card");
        return fetch(box.dataset.checkoutUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
      }).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            var error = body.error || {};
            if (error.code === "card_declined" || error.code === "provider_unavailable") throw error;
            send(submitter);  // the server shows what is wrong beside its fields
            return null;
          });
        }
        return response.json();
      }).then(function (checkout) {
        if (!checkout) return null;
        elements.update({ amount: checkout.amount.amount_minor });
        var confirming = saved
          ? { clientSecret: checkout.client_secret, confirmParams: { payment_method: saved, return_url: window.location.href } }
          : { elements: elements, clientSecret: checkout.client_secret, confirmParams: { return_url: window.location.href } };
        confirming.redirect = "if_required";
        return stripe.confirmPayment(confirming).then(function (result) {
          if (result.error) throw result.error;
          hidden.value = result.paymentIntent.id;
          send(submitter);
        });
      }).catch(function (error) {
        busy(form, false);
        showError(box, element, (error && error.message) || box.dataset.failed);
      });
    });
  }

  /* Saving a card (the saved-cards page): the server starts a setup at the provider, Stripe.js
   * (or the shim) confirms it with the card, 3-D Secure in this tab, and the form is sent with
   * the setup's id, for the page to say the card is saved. The card goes only to the provider. */
  function setupCard(box) {
    var form = box.closest("form");
    var options = box.dataset.apiBase ? { apiBase: box.dataset.apiBase } : undefined;
    var stripe = window.Stripe(box.dataset.publishableKey, options);
    var elements = stripe.elements({ mode: "setup", currency: (box.dataset.currency || "usd").toLowerCase() });
    var element = elements.create("payment");
    element.mount(box.querySelector("[data-payment-mount]"));
    var passThrough = false;
    form.addEventListener("submit", function (event) {
      if (passThrough) return;
      event.preventDefault();
      showError(box, element, "");
      busy(form, true);
      saveCard(stripe, elements, form, box.dataset.setupUrl).then(function (setupIntent) {
        form.querySelector("input[name=setup_intent]").value = setupIntent.id;
        passThrough = true;
        form.submit();
      }).catch(function (error) {
        busy(form, false);
        showError(box, element, (error && error.message) || box.dataset.failed);
      });
    });
  }

  function followPrice() {
    var total = document.querySelector("#deal-preview .deal-total");
    document.querySelectorAll("[data-pay-bar]").forEach(function (bar) {
      var label = bar.querySelector("[data-pay-bar-label]");
      var amount = total ? total.textContent.trim() : bar.dataset.total || "";
      label.textContent = amount ? bar.dataset.verb + " · " + amount : bar.dataset.verb;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Stripe) return;
    document.querySelectorAll("[data-payment-element]").forEach(setup);
    followPrice();
  });
  document.addEventListener("htmx:afterSettle", followPrice);
})();
